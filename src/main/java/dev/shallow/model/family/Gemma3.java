package dev.shallow.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shallow.model.ConfigJson;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.RopeSpec;

/**
 * Gemma 3 text (Gemma3ForCausalLM, model_type gemma3_text): Gemma 2's layer plus q/k norms (1 + w), no soft-caps
 * by default, sliding layers (i + 1) % sliding_window_pattern != 0 (6) with their own RoPE base
 * (rope_local_base_freq, unscaled), global layers rope_theta with rope_scaling. transformers v5's
 * {@code rope_parameters: {full_attention, sliding_attention}} is read too.
 */
public final class Gemma3 extends Family {
    public Gemma3() {
        super("gemma3", "gemma3_text");
    }

    @Override
    public TensorNames names() {
        return TensorNames.GEMMA;
    }

    /** Gemma3TextConfig's defaults for the keys a Gemma 3 config (a multimodal one's text_config above all) may leave out. */
    private static final java.util.Map<String, Object> DEFAULTS = java.util.Map.of("vocab_size", 262208, "hidden_size", 2304,
            "intermediate_size", 9216, "num_hidden_layers", 26, "num_attention_heads", 8, "num_key_value_heads", 4,
            "max_position_embeddings", 131072);

    @Override
    public ModelConfig read(ConfigJson j) {
        com.fasterxml.jackson.databind.node.ObjectNode filled = j.node().deepCopy();
        DEFAULTS.forEach((key, v) -> {
            if (!filled.hasNonNull(key)) filled.put(key, (Integer) v);
        });
        return readFilled(new ConfigJson(j.file(), filled));
    }

    private ModelConfig readFilled(ConfigJson j) {
        if (j.bool("use_bidirectional_attention", false)) throw j.fail("use_bidirectional_attention true is not supported (only causal decoders)");
        ModelConfig.Builder b = Gemma2.layer(j, this, 0, 0);
        b.qkNorm = true;
        RopeSpec global, local;
        JsonNode params = j.get("rope_parameters");
        if (params != null && params.isObject() && params.has("full_attention")) {
            global = fromParameters(j, params.get("full_attention"), 1e6, b.headDim);
            local = fromParameters(j, params.path("sliding_attention"), 1e4, b.headDim);
        } else {
            global = Common.rope(j, 1e6, b.headDim);
            local = new RopeSpec(j.positive("rope_local_base_freq", 1e4), b.headDim, null);
        }
        int pattern = j.positiveInt("sliding_window_pattern", 6);
        boolean[] slides = new boolean[b.numLayers];
        for (int i = 0; i < slides.length; i++) slides[i] = (i + 1) % pattern != 0;
        return b.layers(Common.layerTypes(j, b.numLayers, slides, Common.window(j, 4096), global, local)).build();
    }

    private static RopeSpec fromParameters(ConfigJson j, JsonNode p, double thetaDefault, int dim) {
        if (!p.isObject()) throw j.fail("'rope_parameters' must hold an object per layer type");
        return new RopeSpec(j.positiveIn(p, "rope_theta", thetaDefault), dim, Common.scaling(j, p, dim));
    }
}
