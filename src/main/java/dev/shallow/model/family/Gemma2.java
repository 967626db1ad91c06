package dev.shallow.model.family;

import dev.shallow.model.ConfigJson;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.NormKind;
import dev.shallow.model.RopeSpec;

/**
 * Gemma 2 (Gemma2ForCausalLM): RMSNorm x (1 + w), four norms per layer, embeddings x sqrt(hidden), GeGLU (tanh),
 * scores x query_pre_attn_scalar^-0.5, soft-capped attention (50) and final logits (30), layers 0, 2, 4, ...
 * sliding (window 4096 by default), tied embeddings.
 */
public final class Gemma2 extends Family {
    public Gemma2() {
        super("gemma2", "gemma2");
    }

    @Override
    public TensorNames names() {
        return TensorNames.GEMMA;
    }

    @Override
    public ModelConfig read(ConfigJson j) {
        ModelConfig.Builder b = layer(j, this, 50, 30);
        RopeSpec rope = Common.rope(j, 10000, b.headDim);
        boolean[] slides = new boolean[b.numLayers];
        for (int i = 0; i < slides.length; i++) slides[i] = i % 2 == 0; // (i + 1) % 2 != 0
        return b.layers(Common.layerTypes(j, b.numLayers, slides, Common.window(j, 4096), rope, rope)).build();
    }

    /** The layer Gemma 2 and 3 share; soft-caps default to the given values when their keys are absent (null: none). */
    static ModelConfig.Builder layer(ConfigJson j, Family f, double attnCap, double finalCap) {
        ModelConfig.Builder b = Common.base(j, f, "rms_norm_eps", 1e-6, true, 256);
        Common.activation(j, j.has("hidden_activation") ? "hidden_activation" : "hidden_act", "gelu_pytorch_tanh", b);
        b.norm = NormKind.RMS_PLUS_ONE;
        b.postNorms = true;
        b.scaleEmbeddings = true;
        b.qkvBias = b.outputBias = j.bool("attention_bias", false);
        b.attentionScale = 1 / Math.sqrt(j.positive("query_pre_attn_scalar", 256)); // query_pre_attn_scalar^-0.5
        b.attnSoftcap = (float) softcap(j, "attn_logit_softcapping", attnCap);
        b.finalSoftcap = (float) softcap(j, "final_logit_softcapping", finalCap);
        return b;
    }

    private static double softcap(ConfigJson j, String key, double dflt) {
        if (j.get(key) == null) return dflt;
        return j.positive(key, 0);
    }
}
