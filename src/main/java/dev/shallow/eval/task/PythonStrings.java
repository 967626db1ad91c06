package dev.shallow.eval.task;

/** Python's {@code str.strip()}, which the harness applies to prompts, with Python's whitespace (U+0085 and the no-break spaces included). */
final class PythonStrings {
    private PythonStrings() {
    }

    /** Python {@code c.isspace()}: Java's whitespace plus U+0085, U+00A0, U+2007 and U+202F. */
    static boolean isSpace(char c) {
        return Character.isWhitespace(c) || c == '\u0085' || c == '\u00A0' || c == '\u2007' || c == '\u202F';
    }

    /** Python {@code s.strip()}. */
    static String strip(String s) {
        int from = 0, to = s.length();
        while (from < to && isSpace(s.charAt(from))) from++;
        while (to > from && isSpace(s.charAt(to - 1))) to--;
        return s.substring(from, to);
    }
}
