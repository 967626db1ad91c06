package dev.shallow.model.family;

import dev.shallow.model.ConfigJson;
import dev.shallow.model.GgufKeys;
import dev.shallow.model.ModelConfig;

/**
 * Qwen3 (Qwen3ForCausalLM): per-head RMSNorm of q and k (q_norm, k_norm [head_dim]) before RoPE; head_dim its
 * own key (default 128); attention_bias on q, k, v, o; sliding as Qwen2.
 */
public final class Qwen3 extends Family {
    public Qwen3() {
        super("qwen3", "qwen3", java.util.List.of("qwen3"));
    }

    @Override
    public ModelConfig read(ConfigJson j) {
        ModelConfig.Builder b = Common.base(j, this, "rms_norm_eps", 1e-6, false, 128);
        Common.activation(j, "hidden_act", "silu", b);
        b.qkvBias = b.outputBias = j.bool("attention_bias", false);
        b.qkNorm = true;
        return b.layers(Qwen2.layerTypes(j, b.numLayers, Common.rope(j, 10000, b.headDim))).build();
    }

    /** llama.cpp's qwen3: per-head attn_q_norm / attn_k_norm. */
    @Override
    public ModelConfig readGguf(GgufKeys k) {
        ModelConfig.Builder b = GgufCommon.base(k, this);
        b.qkNorm = true;
        return GgufCommon.uniform(b, GgufCommon.rope(k, b.headDim));
    }

    @Override
    protected String hfClass() {
        return "Qwen3ForCausalLM";
    }
}
