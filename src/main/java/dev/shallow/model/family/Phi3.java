package dev.shallow.model.family;

import dev.shallow.model.ConfigJson;
import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;

/**
 * Phi-3 / Phi-4-mini (Phi3ForCausalLM): Llama's layer with fused qkv_proj and gate_up_proj, partial rotary
 * (partial_rotary_factor, 1.0 by default), longrope scaling, and a sliding window on every layer when set.
 */
public final class Phi3 extends Family {
    public Phi3() {
        super("phi3", "phi3");
    }

    @Override
    public TensorNames names() {
        return TensorNames.PHI3;
    }

    @Override
    public ModelConfig read(ConfigJson j) {
        ModelConfig.Builder b = Common.base(j, this, "rms_norm_eps", 1e-5, false, 0);
        Common.activation(j, "hidden_act", "silu", b);
        int rotary = (int) (b.headDim * j.fraction("partial_rotary_factor", 1.0)); // int(head_dim * factor), as HF
        int window = Common.window(j, 0);
        return b.layers(Common.uniform(b.numLayers, new LayerType(window, Common.rope(j, 10000, rotary)))).build();
    }
}
