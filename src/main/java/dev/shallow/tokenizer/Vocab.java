package dev.shallow.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** A model's tokens by id and ids by token, with the ids of the byte tokens {@code <0x00>}..{@code <0xFF>} (-1 where absent). */
final class Vocab {
    private final Map<String, Integer> ids;
    private final String[] tokens;
    private final int[] byteIds = new int[256];

    private Vocab(Map<String, Integer> ids, String[] tokens) {
        this.ids = ids;
        this.tokens = tokens;
        for (int b = 0; b < 256; b++) byteIds[b] = ids.getOrDefault(byteToken(b), -1);
    }

    /**
     * From a tokenizer.json vocab, token -> id in document order (ids may leave gaps, as HF allows). Two tokens with one
     * id are refused: HF accepts them, but which one it decodes depends on its HashMap's order, run to run.
     */
    static Vocab of(Map<String, Integer> ids, Spec spec) {
        String[] tokens = new String[ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1];
        ids.forEach((token, id) -> {
            if (tokens[id] != null) {
                throw spec.fail("model.vocab[\"" + token + "\"]: id " + id + " is also the id of \"" + tokens[id] + "\"");
            }
            tokens[id] = token;
        });
        return new Vocab(ids, tokens);
    }

    /** From tokens by id; a token listed twice is an error (sentencepiece "is already defined", llama.cpp asserts the same). */
    static Vocab of(String[] tokens, Spec spec) {
        Map<String, Integer> ids = new HashMap<>(tokens.length * 2);
        for (int id = 0; id < tokens.length; id++) {
            Integer before = ids.putIfAbsent(tokens[id], id);
            if (before != null) throw spec.fail("token \"" + tokens[id] + "\" appears twice, as ids " + before + " and " + id);
        }
        return new Vocab(ids, Arrays.copyOf(tokens, tokens.length));
    }

    /** The byte-fallback token of byte {@code b}: "<0xNN>" with two upper-case hex digits (sentencepiece ByteToPiece). */
    static String byteToken(int b) {
        return String.format("<0x%02X>", b);
    }

    /** One more than the largest id. */
    int size() {
        return tokens.length;
    }

    /** The number of tokens (HF's vocab.len(), less than {@link #size()} when ids leave gaps). */
    int count() {
        return ids.size();
    }

    Integer id(String token) {
        return ids.get(token);
    }

    /** The token of {@code id}, or null. */
    String token(int id) {
        return id >= 0 && id < tokens.length ? tokens[id] : null;
    }

    /** The id of the token of byte {@code b}, or -1. */
    int byteId(int b) {
        return byteIds[b];
    }

    /** Whether all 256 byte tokens are present. */
    boolean hasAllBytes() {
        return Arrays.stream(byteIds).allMatch(id -> id >= 0);
    }
}
