package dev.shallow.data;

/**
 * The few Python {@code str} operations the lm-evaluation-harness and Hugging Face dataset scripts apply to
 * text, with Python's definition of whitespace ({@code str.isspace()}, also {@code \s} of {@code re}), which is
 * Java's {@code Character.isWhitespace} plus U+0085, U+00A0, U+2007 and U+202F.
 */
public final class PythonText {
    /** Python's whitespace as a regex character class, for patterns ported from Python's {@code \s}. */
    public static final String SPACE_CLASS = "[\\t\\n\\x0B\\f\\r\\x1C-\\x1F \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";

    private PythonText() {
    }

    /** Python {@code c.isspace()}; every such character is in the BMP. */
    public static boolean isSpace(char c) {
        return Character.isWhitespace(c) || c == '\u0085' || c == '\u00A0' || c == '\u2007' || c == '\u202F';
    }

    /** Python {@code s.strip()}. */
    public static String strip(String s) {
        int from = 0, to = s.length();
        while (from < to && isSpace(s.charAt(from))) from++;
        while (to > from && isSpace(s.charAt(to - 1))) to--;
        return s.substring(from, to);
    }

    /** Python {@code len(re.split(r"\s+", s))}: runs of whitespace + 1 (a leading or trailing run adds an empty field). */
    public static int whitespaceSplitCount(String s) {
        int fields = 1;
        for (int i = 0; i < s.length(); i++) {
            if (isSpace(s.charAt(i)) && (i == 0 || !isSpace(s.charAt(i - 1)))) fields++;
        }
        return fields;
    }
}
