package dev.shallow.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * tokenizers' AddedVocabulary: the "added_tokens" of tokenizer.json, cut out of the input before the
 * model sees it (leftmost-longest match; non-normalized tokens on the raw text, normalized ones on the
 * normalized text).
 */
final class AddedTokens {

    /** One entry of "added_tokens". */
    record Token(int id, String content, boolean special, boolean lstrip, boolean rstrip, boolean normalized, boolean singleWord) {
        /** A token matched as it is, with no stripping or word-boundary rule. */
        static Token plain(int id, String content, boolean special) {
            return new Token(id, content, special, false, false, false, false);
        }
    }

    /** A run of text (tokenId -1) or one added token, as AddedVocabulary::extract_and_normalize yields them. */
    record Segment(int tokenId, PreTokenizer.Piece piece) {
    }

    private final List<Token> tokens;
    private final Map<Integer, Token> byId = new HashMap<>();
    private final Map<String, Token> byContent = new HashMap<>();
    private final Matcher rawMatcher;
    private final Matcher normalizedMatcher;
    private final Normalizer normalizer;

    private AddedTokens(List<Token> tokens, Normalizer normalizer) {
        this.tokens = tokens;
        this.normalizer = normalizer;
        Map<String, Token> normalizedForms = new HashMap<>();
        Map<String, Token> rawForms = new HashMap<>();
        for (Token t : tokens) {
            byId.put(t.id(), t);
            byContent.put(t.content(), t);
            if (!t.normalized()) rawForms.put(t.content(), t);
            else normalizedForms.put(normalizer == null ? t.content() : normalizer.normalize(t.content()), t);
        }
        this.rawMatcher = new Matcher(rawForms);
        this.normalizedMatcher = new Matcher(normalizedForms);
    }

    /** Tokens matched in the text as it comes (SentencePiece's user-defined pieces, a GGUF vocabulary's added tokens). */
    static AddedTokens of(List<Token> tokens) {
        return new AddedTokens(tokens, null);
    }

    /** Tokens cut out of the raw text (not normalized) or of the normalized text, as each says. */
    static AddedTokens of(List<Token> tokens, Normalizer normalizer) {
        return new AddedTokens(tokens, normalizer);
    }

    List<Token> all() {
        return tokens;
    }

    Token byId(int id) {
        return byId.get(id);
    }

    Token byContent(String content) {
        return byContent.get(content);
    }

    /** The text as added tokens and normalized runs between them (empty runs dropped). */
    List<Segment> split(String text) {
        List<Segment> out = new ArrayList<>();
        for (Segment s : rawMatcher.split(text, true)) {
            if (s.tokenId() >= 0) {
                out.add(s);
                continue;
            }
            String normalized = normalizer == null ? s.piece().text() : normalizer.normalize(s.piece().text());
            for (Segment n : normalizedMatcher.split(normalized, s.piece().atStart())) {
                if (n.tokenId() >= 0 || !n.piece().text().isEmpty()) out.add(n);
            }
        }
        return out;
    }

    /** AddedVocabulary::find_matches over one set of token forms. */
    private static final class Matcher {
        /** The forms by their first char, longest first. */
        private final Map<Character, List<Map.Entry<String, Token>>> byFirstChar = new HashMap<>();

        Matcher(Map<String, Token> forms) {
            for (Map.Entry<String, Token> e : forms.entrySet()) {
                if (!e.getKey().isEmpty()) byFirstChar.computeIfAbsent(e.getKey().charAt(0), c -> new ArrayList<>()).add(e);
            }
            Comparator<Map.Entry<String, Token>> longestFirst = Comparator.comparingInt(e -> -e.getKey().length());
            byFirstChar.values().forEach(l -> l.sort(longestFirst));
        }

        /** {@code text} cut at the matches; the runs between are text segments ({@code atStart} tells whether text begins the input). */
        List<Segment> split(String text, boolean atStart) {
            List<Segment> out = new ArrayList<>();
            if (byFirstChar.isEmpty()) {
                out.add(new Segment(-1, new PreTokenizer.Piece(text, atStart)));
                return out;
            }
            int done = 0;
            for (int i = 0; i < text.length(); ) {
                Map.Entry<String, Token> m = longestAt(text, i);
                if (m == null) {
                    i++;
                    continue;
                }
                int start = i, stop = i + m.getKey().length();
                Token t = m.getValue();
                i = stop;
                if (t.singleWord() && (start > 0 && Unicode.isWordChar(text.codePointBefore(start))
                        || stop < text.length() && Unicode.isWordChar(text.codePointAt(stop)))) {
                    continue;
                }
                if (t.lstrip()) {
                    while (start > done && Unicode.isWhiteSpace(text.codePointBefore(start))) start -= Character.charCount(text.codePointBefore(start));
                }
                if (t.rstrip()) {
                    while (stop < text.length() && Unicode.isWhiteSpace(text.codePointAt(stop))) stop += Character.charCount(text.codePointAt(stop));
                }
                if (done < start) out.add(new Segment(-1, new PreTokenizer.Piece(text.substring(done, start), atStart && done == 0)));
                out.add(new Segment(t.id(), null));
                done = stop;
            }
            if (done < text.length()) out.add(new Segment(-1, new PreTokenizer.Piece(text.substring(done), atStart && done == 0)));
            return out;
        }

        private Map.Entry<String, Token> longestAt(String text, int i) {
            List<Map.Entry<String, Token>> candidates = byFirstChar.get(text.charAt(i));
            if (candidates == null) return null;
            for (Map.Entry<String, Token> e : candidates) if (text.startsWith(e.getKey(), i)) return e;
            return null;
        }
    }
}
