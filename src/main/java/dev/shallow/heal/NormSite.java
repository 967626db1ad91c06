package dev.shallow.heal;

import dev.shallow.model.LayerWeights;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.NormWeights;
import dev.shallow.model.family.TensorNames;

/**
 * Where a layer has a norm: before attention, on each query and key head (Qwen3, Gemma 3, Phi-2 qk_layernorm),
 * on the attention output (Gemma), before the MLP (not in Phi-2's parallel block) and on the MLP output (Gemma).
 */
enum NormSite {
    ATTN, Q, K, POST_ATTN, FFN, POST_FFN;

    /** Whether layers of {@code c} have this norm. */
    boolean present(ModelConfig c) {
        return switch (this) {
            case ATTN -> true;
            case Q, K -> c.qkNorm();
            case POST_ATTN, POST_FFN -> c.postNorms();
            case FFN -> !c.parallelBlock();
        };
    }

    /** Values per normalised row: head_dim for the q/k norms, else hidden. */
    int dim(ModelConfig c) {
        return this == Q || this == K ? c.headDim() : c.hiddenSize();
    }

    /** Rows normalised for n tokens: one per token, or one per query (key) head and token. */
    int rows(ModelConfig c, int n) {
        return switch (this) {
            case Q -> n * c.numHeads();
            case K -> n * c.numKvHeads();
            default -> n;
        };
    }

    /** The norm's path in a layer, e.g. {@code self_attn.q_norm}. */
    String path(TensorNames n) {
        return switch (this) {
            case ATTN -> n.attnNorm();
            case Q -> n.qNorm();
            case K -> n.kNorm();
            case POST_ATTN -> n.postAttnNorm();
            case FFN -> n.ffnNorm();
            case POST_FFN -> n.postFfnNorm();
        };
    }

    NormWeights of(LayerWeights w) {
        return switch (this) {
            case ATTN -> w.attnNorm();
            case Q -> w.qNorm();
            case K -> w.kNorm();
            case POST_ATTN -> w.postAttnNorm();
            case FFN -> w.ffnNorm();
            case POST_FFN -> w.postFfnNorm();
        };
    }
}
