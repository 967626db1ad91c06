package dev.shallow.tokenizer;

/** Rust's char predicates, which differ from java.lang.Character's at the edges. */
final class Unicode {
    private Unicode() {
    }

    /** Rust char::is_whitespace: the Unicode White_Space property (includes U+00A0, unlike Character.isWhitespace). */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
                || cp == 0x3000;
    }

    /** Rust c.is_alphanumeric() || c == '_' (tokenizers added_vocabulary.rs word boundaries). */
    static boolean isWordChar(int cp) {
        int t = Character.getType(cp);
        boolean numeric = t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
        return Character.isAlphabetic(cp) || numeric || cp == '_';
    }

    /** {@code s} without the white space at its start and/or end. */
    static String strip(String s, boolean left, boolean right) {
        int from = 0, to = s.length();
        while (left && from < to && isWhiteSpace(s.codePointAt(from))) from += Character.charCount(s.codePointAt(from));
        while (right && to > from && isWhiteSpace(s.codePointBefore(to))) to -= Character.charCount(s.codePointBefore(to));
        return s.substring(from, to);
    }
}
