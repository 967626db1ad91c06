package dev.shallow.heal;

import dev.shallow.model.ModelConfig;
import dev.shallow.model.family.TensorNames;

/**
 * What a block of rows of a layer's linear module computes: the query, key, value and output projections and
 * the MLP's gate, up (Phi-2's fc1) and down (fc2). A module ({@link LinearModule}) computes one of them, or
 * several stacked by rows (Phi-3's qkv_proj and gate_up_proj).
 */
public enum Projection {
    Q, K, V, O, GATE, UP, DOWN;

    /** Input features. */
    public int in(ModelConfig c) {
        return switch (this) {
            case O -> c.qDim();
            case DOWN -> c.intermediateSize();
            default -> c.hiddenSize();
        };
    }

    /** Its layer part in {@code n}'s names (the unfused module's path: {@code self_attn.q_proj}, a GGUF's {@code attn_q}). */
    public String part(TensorNames n) {
        return switch (this) {
            case Q -> n.q();
            case K -> n.k();
            case V -> n.v();
            case O -> n.o();
            case GATE -> n.gate();
            case UP -> n.up();
            case DOWN -> n.down();
        };
    }

    /** Output features. */
    public int out(ModelConfig c) {
        return switch (this) {
            case Q -> c.qDim();
            case K, V -> c.kvDim();
            case GATE, UP -> c.intermediateSize();
            case O, DOWN -> c.hiddenSize();
        };
    }
}
