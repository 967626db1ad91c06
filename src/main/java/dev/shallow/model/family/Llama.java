package dev.shallow.model.family;

import dev.shallow.model.ConfigJson;
import dev.shallow.model.GgufKeys;
import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;

/** Llama (LlamaForCausalLM): RMSNorm, RoPE (linear / llama3 scaling), SwiGLU; attention_bias on q, k, v, o; mlp_bias. */
public final class Llama extends Family {
    public Llama() {
        super("llama", "llama", java.util.List.of("llama"));
    }

    @Override
    public ModelConfig read(ConfigJson j) {
        ModelConfig.Builder b = layer(j, this);
        return b.layers(Common.uniform(b.numLayers, new LayerType(0, Common.rope(j, 10000, b.headDim)))).build();
    }

    /** Llama's layer as Mistral and SmolLM3 share it: sizes, silu, biases from attention_bias and mlp_bias. */
    static ModelConfig.Builder layer(ConfigJson j, Family f) {
        ModelConfig.Builder b = Common.base(j, f, "rms_norm_eps", 1e-6, false, 0);
        Common.activation(j, "hidden_act", "silu", b);
        b.qkvBias = b.outputBias = j.bool("attention_bias", false);
        b.mlpBias = j.bool("mlp_bias", false);
        return b;
    }

    /** llama.cpp's llama architecture: Llama's layer, biases when stored (Mistral's checkpoints convert to it too). */
    @Override
    public ModelConfig readGguf(GgufKeys k) {
        ModelConfig.Builder b = GgufCommon.base(k, this);
        return GgufCommon.uniform(b, GgufCommon.rope(k, b.headDim));
    }

    @Override
    public boolean ggufInterleavedQk() {
        return true;
    }

    @Override
    protected String hfClass() {
        return "LlamaForCausalLM";
    }
}
