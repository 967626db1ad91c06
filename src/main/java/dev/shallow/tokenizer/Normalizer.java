package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A tokenizers normalizer (normalizers/*.rs): rewrites a text segment before pre-tokenization. */
interface Normalizer {

    String normalize(String s);

    /** The normalizer a tokenizer.json "normalizer" object describes. */
    static Normalizer from(JsonNode node, Spec spec) {
        String type = spec.type(node, "normalizer");
        return switch (type) {
            case "Sequence" -> new Chain(spec.components(node, "normalizers", "normalizer Sequence", Normalizer::from));
            case "Prepend" -> new Prepend(spec.text(node, "prepend", "normalizer Prepend"));
            case "Replace" -> new Replace(spec.pattern(node, "normalizer Replace"), spec.text(node, "content", "normalizer Replace"));
            case "NFC" -> new UnicodeForm(java.text.Normalizer.Form.NFC);
            case "NFD" -> new UnicodeForm(java.text.Normalizer.Form.NFD);
            case "NFKC" -> new UnicodeForm(java.text.Normalizer.Form.NFKC);
            case "NFKD" -> new UnicodeForm(java.text.Normalizer.Form.NFKD);
            case "Lowercase" -> new Lowercase();
            case "Strip" -> new Strip(spec.flag(node, "strip_left", "normalizer Strip", true),
                    spec.flag(node, "strip_right", "normalizer Strip", true));
            case "StripAccents" -> new StripAccents();
            default -> throw spec.unknown("normalizer", type);
        };
    }

    /** normalizers::Sequence. */
    record Chain(List<Normalizer> parts) implements Normalizer {
        public String normalize(String s) {
            for (Normalizer n : parts) s = n.normalize(s);
            return s;
        }
    }

    /** normalizers::Prepend: nothing is prepended to an empty string. */
    record Prepend(String prefix) implements Normalizer {
        public String normalize(String s) {
            return s.isEmpty() ? s : prefix + s;
        }
    }

    /** normalizers::Replace: every match of the pattern becomes {@code content}. */
    record Replace(Pattern pattern, String content) implements Normalizer {
        public String normalize(String s) {
            return pattern.matcher(s).replaceAll(Matcher.quoteReplacement(content));
        }
    }

    /** normalizers::unicode NFC / NFD / NFKC / NFKD. */
    record UnicodeForm(java.text.Normalizer.Form form) implements Normalizer {
        public String normalize(String s) {
            return java.text.Normalizer.normalize(s, form);
        }
    }

    /** normalizers::Lowercase: char by char (Rust char::to_lowercase, no final-sigma context). */
    record Lowercase() implements Normalizer {
        public String normalize(String s) {
            StringBuilder out = new StringBuilder(s.length());
            s.codePoints().forEach(cp -> out.append(Character.toString(cp).toLowerCase(Locale.ROOT)));
            return out.toString();
        }
    }

    /** normalizers::Strip: Unicode white space off either end. */
    record Strip(boolean left, boolean right) implements Normalizer {
        public String normalize(String s) {
            return Unicode.strip(s, left, right);
        }
    }

    /** normalizers::StripAccents: drops non-spacing marks (meant to follow NFD/NFKD). */
    record StripAccents() implements Normalizer {
        public String normalize(String s) {
            StringBuilder out = new StringBuilder(s.length());
            s.codePoints().filter(cp -> Character.getType(cp) != Character.NON_SPACING_MARK).forEach(out::appendCodePoint);
            return out.toString();
        }
    }

    /**
     * SentencePiece's normalizer with the identity character map (normalizer.cc Normalizer::Normalize): with
     * remove_extra_whitespaces, leading and trailing spaces are dropped and inner runs become one; a non-empty
     * result gets the dummy-prefix space; spaces become U+2581 when escape_whitespaces. Only U+0020 is a space here.
     */
    record SentencePiece(boolean addDummyPrefix, boolean removeExtraWhitespaces, boolean escapeWhitespaces) implements Normalizer {
        static final String SPACE_SYMBOL = "\u2581";

        public String normalize(String s) {
            int from = 0;
            while (removeExtraWhitespaces && from < s.length() && s.charAt(from) == ' ') from++;
            if (from == s.length()) return "";
            char space = escapeWhitespaces ? SPACE_SYMBOL.charAt(0) : ' ';
            StringBuilder out = new StringBuilder(s.length() + 1);
            if (addDummyPrefix) out.append(space);
            boolean previousSpace = removeExtraWhitespaces;
            for (int i = from; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == ' ' && previousSpace) continue;
                out.append(c == ' ' ? space : c);
                previousSpace = removeExtraWhitespaces && c == ' ';
            }
            while (removeExtraWhitespaces && out.charAt(out.length() - 1) == space) out.setLength(out.length() - 1);
            return out.toString();
        }
    }
}
