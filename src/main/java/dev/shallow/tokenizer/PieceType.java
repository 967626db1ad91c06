package dev.shallow.tokenizer;

/**
 * The type of a SentencePiece piece (sentencepiece_model.proto ModelProto.SentencePiece.Type); GGUF's
 * tokenizer.ggml.token_type uses the same numbers (llama.h llama_token_type).
 */
enum PieceType {
    NORMAL(1), UNKNOWN(2), CONTROL(3), USER_DEFINED(4), UNUSED(5), BYTE(6);

    final int code;

    PieceType(int code) {
        this.code = code;
    }

    /** The type numbered {@code code}, or null. */
    static PieceType of(long code) {
        for (PieceType t : values()) if (t.code == code) return t;
        return null;
    }

    /** Pieces a merge can produce: sentencepiece keeps NORMAL, USER_DEFINED and UNUSED in pieces_ (model_interface.cc). */
    boolean mergeable() {
        return this == NORMAL || this == USER_DEFINED || this == UNUSED;
    }
}
