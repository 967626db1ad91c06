package dev.shallow.model.family;

import dev.shallow.model.ConfigJson;
import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.NormKind;

/**
 * Phi-1/1.5/2 (PhiForCausalLM): one LayerNorm (with bias) per layer feeding attention and MLP in parallel,
 * x + dense(attn(h)) + fc2(gelu_new(fc1(h))); biases on every projection and the head; partial rotary
 * (partial_rotary_factor, 0.5 by default); optional qk_layernorm.
 */
public final class Phi extends Family {
    public Phi() {
        super("phi", "phi");
    }

    @Override
    public TensorNames names() {
        return TensorNames.PHI;
    }

    @Override
    public ModelConfig read(ConfigJson j) {
        ModelConfig.Builder b = Common.base(j, this, "layer_norm_eps", 1e-5, false, 0);
        Common.activation(j, "hidden_act", "gelu_new", b);
        b.norm = NormKind.LAYER;
        b.parallelBlock = true;
        b.gatedMlp = false;
        b.qkvBias = b.outputBias = b.mlpBias = b.headBias = true;
        b.qkNorm = j.bool("qk_layernorm", false);
        int rotary = (int) (b.headDim * j.fraction("partial_rotary_factor", 0.5)); // int(head_dim * factor), as HF
        return b.layers(Common.uniform(b.numLayers, new LayerType(0, Common.rope(j, 10000, rotary)))).build();
    }
}
