package dev.shallow.model.family;

/**
 * Hugging Face tensor names of a family: the layer prefix ({@code model.layers.}) and each part's path inside a
 * layer (null when the family does not have it: a fused {@code qkv} replaces q, k and v, a fused
 * {@code gateUp} replaces gate and up), plus the top-level tensors. Norms and projections add
 * {@code .weight} / {@code .bias}.
 */
public record TensorNames(
        String layerPrefix,
        String attnNorm, String q, String k, String v, String qkv, String o, String qNorm, String kNorm,
        String postAttnNorm, String ffnNorm, String gate, String up, String gateUp, String down, String postFfnNorm,
        String embed, String finalNorm, String head) {

    public static final TensorNames LLAMA = new TensorNames("model.layers.",
            "input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", null, "self_attn.o_proj",
            "self_attn.q_norm", "self_attn.k_norm", null, "post_attention_layernorm",
            "mlp.gate_proj", "mlp.up_proj", null, "mlp.down_proj", null,
            "model.embed_tokens", "model.norm", "lm_head");

    /** Gemma's four norms: post_attention_layernorm is the attention output's norm, pre_feedforward_layernorm the MLP input's. */
    public static final TensorNames GEMMA = new TensorNames("model.layers.",
            "input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", null, "self_attn.o_proj",
            "self_attn.q_norm", "self_attn.k_norm", "post_attention_layernorm", "pre_feedforward_layernorm",
            "mlp.gate_proj", "mlp.up_proj", null, "mlp.down_proj", "post_feedforward_layernorm",
            "model.embed_tokens", "model.norm", "lm_head");

    /** Phi-3: fused qkv_proj rows [q | k | v] and gate_up_proj rows [gate | up]. */
    public static final TensorNames PHI3 = new TensorNames("model.layers.",
            "input_layernorm", null, null, null, "self_attn.qkv_proj", "self_attn.o_proj",
            null, null, null, "post_attention_layernorm",
            null, null, "mlp.gate_up_proj", "mlp.down_proj", null,
            "model.embed_tokens", "model.norm", "lm_head");

    /** Phi-2: one LayerNorm per layer, dense as o, fc1 as up (ungated), fc2 as down, q/k_layernorm. */
    public static final TensorNames PHI = new TensorNames("model.layers.",
            "input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", null, "self_attn.dense",
            "self_attn.q_layernorm", "self_attn.k_layernorm", null, null,
            null, "mlp.fc1", null, "mlp.fc2", null,
            "model.embed_tokens", "model.final_layernorm", "lm_head");

    /**
     * llama.cpp's names of the same parts in a GGUF file (src/llama-arch.cpp LLM_TENSOR_NAMES): {@code blk.N.attn_q},
     * ..., {@code token_embd}, {@code output_norm}, {@code output} (absent when tied). Gemma's norms: post_attention_norm
     * on the attention output, ffn_norm before the MLP, post_ffw_norm on its output.
     */
    public static final TensorNames GGUF = new TensorNames("blk.",
            "attn_norm", "attn_q", "attn_k", "attn_v", null, "attn_output",
            "attn_q_norm", "attn_k_norm", "post_attention_norm", "ffn_norm",
            "ffn_gate", "ffn_up", null, "ffn_down", "post_ffw_norm",
            "token_embd", "output_norm", "output");

    /**
     * These names with the decoder's {@code model.} replaced by {@code decoder} and the head under {@code headPrefix}: a
     * multimodal checkpoint's text stack ({@code language_model.model.} / {@code language_model.lm_head}, or transformers
     * v5's {@code model.language_model.} / {@code lm_head}).
     */
    public TensorNames rebased(String decoder, String headPrefix) {
        return new TensorNames(decoder + undecorated(layerPrefix), attnNorm, q, k, v, qkv, o, qNorm, kNorm, postAttnNorm, ffnNorm, gate,
                up, gateUp, down, postFfnNorm, decoder + undecorated(embed), decoder + undecorated(finalNorm), headPrefix + head);
    }

    /** A decoder tensor's name without the leading {@code model.}. */
    private static String undecorated(String name) {
        return name.substring("model.".length());
    }

    /** The full name of a layer part, e.g. {@code model.layers.3.self_attn.q_proj.weight}. */
    public String layer(int layer, String part, String suffix) {
        return layerPrefix + layer + "." + part + "." + suffix;
    }

    /**
     * These names with q, k and v replaced by the fused {@code qkv} part (when not null) and gate and up by the fused
     * {@code gateUp} part (when not null).
     */
    public TensorNames fused(String qkv, String gateUp) {
        return new TensorNames(layerPrefix, attnNorm, qkv == null ? q : null, qkv == null ? k : null, qkv == null ? v : null,
                qkv == null ? this.qkv : qkv, o, qNorm, kNorm, postAttnNorm, ffnNorm, gateUp == null ? gate : null,
                gateUp == null ? up : null, gateUp == null ? this.gateUp : gateUp, down, postFfnNorm, embed, finalNorm, head);
    }
}
