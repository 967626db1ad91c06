package dev.shallow.eval.task;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How lm-evaluation-harness {@code gsm8k} reads a generation ({@code lm_eval/tasks/gsm8k/gsm8k.yaml}): the answer
 * each of its two filters extracts ({@code lm_eval/filters/extraction.py} RegexFilter, then take_first; the filter's
 * final {@code strip()} is a no-op, as neither pattern matches whitespace) and the exact_match of that answer
 * with the target ({@code lm_eval/api/metrics.py} exact_match_hf_evaluate).
 */
public final class Gsm8kAnswer {
    /** RegexFilter's fallback when the pattern does not match. */
    public static final String INVALID = "[invalid]";
    /** strict-match: group 1 of the first match. */
    private static final Pattern STRICT = Pattern.compile("#### (\\-?[0-9\\.\\,]+)");
    /** flexible-extract: the last match (group_select -1), its first non-empty group. */
    private static final Pattern FLEXIBLE = Pattern.compile("(-?[$0-9.,]{2,})|(-?[0-9]+)");
    /**
     * The metric's regexes_to_ignore, removed in this order from prediction and reference. UNIX_LINES: Python's
     * "$" matches before a final "\n" only, Java's by default before any final line terminator.
     */
    private static final List<Pattern> IGNORED = List.of(Pattern.compile(","), Pattern.compile("\\$"),
            Pattern.compile("(?s).*#### "), Pattern.compile("\\.$", Pattern.UNIX_LINES));

    private Gsm8kAnswer() {
    }

    /** The strict-match filter's answer: the number after the first "#### ", else {@link #INVALID}. */
    public static String strict(String generated) {
        Matcher m = STRICT.matcher(generated);
        return m.find() ? m.group(1) : INVALID;
    }

    /** The flexible-extract filter's answer: the last number-like run, else {@link #INVALID}. */
    public static String flexible(String generated) {
        Matcher m = FLEXIBLE.matcher(generated);
        String last = INVALID;
        while (m.find()) last = m.group(1) != null ? m.group(1) : m.group(2);
        return last;
    }

    /** exact_match with ignore_case true, ignore_punctuation false and the regexes to ignore. */
    public static boolean exactMatch(String prediction, String reference) {
        return normalised(prediction).equals(normalised(reference));
    }

    private static String normalised(String s) {
        for (Pattern p : IGNORED) s = p.matcher(s).replaceAll("");
        return s.toLowerCase(Locale.ROOT);
    }
}
