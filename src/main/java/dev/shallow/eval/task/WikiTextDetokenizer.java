package dev.shallow.eval.task;

import dev.shallow.data.PythonText;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * lm-evaluation-harness's {@code wikitext_detokenizer} ({@code lm_eval/tasks/wikitext/preprocess_wikitext.py}):
 * every replacement of that function, in its order; Python's {@code \s} is {@link PythonText#SPACE_CLASS}.
 */
public final class WikiTextDetokenizer {
    private static final String SPACES = PythonText.SPACE_CLASS + "*";
    /** The harness substitutes the literal text "/'[0-9]/" (its replacement is not a pattern); so does this. */
    private static final Pattern SLASH_QUOTE_DIGIT = Pattern.compile("/' [0-9]/");
    private static final Pattern PARENTHESES = Pattern.compile("\\(" + SPACES + "([^)]*?)" + SPACES + "\\)");
    private static final Pattern BRACKETS = Pattern.compile("\\[" + SPACES + "([^\\]]*?)" + SPACES + "\\]");
    private static final Pattern BRACES = Pattern.compile("\\{" + SPACES + "([^}]*?)" + SPACES + "\\}");
    private static final Pattern DOUBLE_QUOTES = Pattern.compile("\"" + SPACES + "([^\"]*?)" + SPACES + "\"");
    private static final Pattern SINGLE_QUOTES = Pattern.compile("'" + SPACES + "([^']*?)" + SPACES + "'");

    private WikiTextDetokenizer() {
    }

    public static String detokenize(String page) {
        String s = page;
        // contractions
        s = s.replace("s '", "s'");
        s = SLASH_QUOTE_DIGIT.matcher(s).replaceAll(Matcher.quoteReplacement("/'[0-9]/"));
        // number separators
        s = s.replace(" @-@ ", "-");
        s = s.replace(" @,@ ", ",");
        s = s.replace(" @.@ ", ".");
        // punctuation
        s = s.replace(" : ", ": ");
        s = s.replace(" ; ", "; ");
        s = s.replace(" . ", ". ");
        s = s.replace(" ! ", "! ");
        s = s.replace(" ? ", "? ");
        s = s.replace(" , ", ", ");
        // double brackets
        s = PARENTHESES.matcher(s).replaceAll("($1)");
        s = BRACKETS.matcher(s).replaceAll("[$1]");
        s = BRACES.matcher(s).replaceAll("{$1}");
        s = DOUBLE_QUOTES.matcher(s).replaceAll("\"$1\"");
        s = SINGLE_QUOTES.matcher(s).replaceAll("'$1'");
        // miscellaneous
        s = s.replace("= = = =", "====");
        s = s.replace("= = =", "===");
        s = s.replace("= =", "==");
        s = s.replace(" \u00B0 ", "\u00B0");
        s = s.replace(" \n", "\n");
        s = s.replace("\n ", "\n");
        s = s.replace(" N ", " 1 ");
        s = s.replace(" 's", "'s");
        return s;
    }
}
