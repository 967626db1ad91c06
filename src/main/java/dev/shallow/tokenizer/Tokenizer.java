package dev.shallow.tokenizer;

import java.nio.file.Path;

/** A Hugging Face tokenizer.json (BPE). To be implemented. */
public final class Tokenizer {
    private Tokenizer() {
    }

    /** Loads {@code tokenizer.json} (or the one inside a model directory, with its tokenizer_config.json). */
    public static Tokenizer load(Path tokenizerJsonOrModelDir) {
        throw new UnsupportedOperationException("tokenizer not implemented yet");
    }

    /** Token ids of {@code text}; with {@code addSpecialTokens} the post-processor's template (e.g. BOS) is applied. */
    public int[] encode(String text, boolean addSpecialTokens) {
        throw new UnsupportedOperationException();
    }

    /** The text of {@code ids}; special tokens dropped when {@code skipSpecialTokens}. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        throw new UnsupportedOperationException();
    }

    /** End-of-sequence id, or -1. */
    public int eosId() {
        throw new UnsupportedOperationException();
    }
}
