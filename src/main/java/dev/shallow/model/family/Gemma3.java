package dev.shallow.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shallow.model.ConfigJson;
import dev.shallow.model.GgufKeys;
import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.RopeSpec;

/**
 * Gemma 3 text (Gemma3ForCausalLM, model_type gemma3_text): Gemma 2's layer plus q/k norms (1 + w), no soft-caps
 * by default, sliding layers (i + 1) % sliding_window_pattern != 0 (6) with their own RoPE base
 * (rope_local_base_freq, unscaled), global layers rope_theta with rope_scaling. transformers v5's
 * {@code rope_parameters: {full_attention, sliding_attention}} is read too.
 * <p>
 * GGUF ({@code gemma3}: the text model; a multimodal checkpoint's GGUF is the same file, its vision tower a separate mmproj
 * file), as llama.cpp v0.4.0 reads it (src/models/gemma3.cpp load_arch_hparams, load_arch_tensors, graph):
 * <table>
 * <tr><th>setting</th><th>llama.cpp</th></tr>
 * <tr><td>norm weights</td><td>every *norm.weight (q/k norms too) stored as 1 + w by convert_hf_to_gguf.py (Gemma3Model.norm_shift):
 * a plain RMS multiply</td></tr>
 * <tr><td>embedding scale</td><td>sqrtf(n_embd) in float32, whatever the embeddings' type</td></tr>
 * <tr><td>attention scale</td><td>hard-coded: 1/sqrt(head_dim), or 1/sqrt(n_embd / n_head) when block_count is 62 (the 27B);
 * query_pre_attn_scalar has no key</td></tr>
 * <tr><td>soft-caps</td><td>no attention soft-cap (a key is ignored); final_logit_softcapping when present and not 0</td></tr>
 * <tr><td>sliding layers</td><td>only when attention.sliding_window is present and &gt; 0: layer i slides iff i % p &lt; p - 1,
 * p = attention.sliding_window_pattern (a scalar, 6); else every layer is global</td></tr>
 * <tr><td>RoPE</td><td>NEOX, q/k not permuted; global layers rope.freq_base (10000 when absent; the converter writes rope_theta)
 * with rope.scaling (linear); sliding layers rope.freq_base_swa (10000 when absent) and never scaled</td></tr>
 * <tr><td>output</td><td>output.weight when stored, else token_embd</td></tr>
 * </table>
 */
public final class Gemma3 extends Family {
    public Gemma3() {
        super("gemma3", "gemma3", java.util.List.of("gemma3_text"));
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

    /** llama.cpp's gemma3: see the table above. */
    @Override
    public ModelConfig readGguf(GgufKeys k) {
        ModelConfig.Builder b = Gemma2.ggufLayer(k, this, 62);
        b.qkNorm = true;
        b.attnSoftcap = 0; // llama.cpp's gemma3 leaves hparams.attn_soft_cap false
        String cap = "final_logit_softcapping";
        double finalCap = k.has(cap) ? k.metadata().doubleValue(k.key(cap)) : 0; // f_final_logit_softcapping = 0: none
        if (!(finalCap >= 0) || !Double.isFinite(finalCap)) throw k.fail("metadata key '" + k.key(cap) + "' must be 0 (none) or positive, got " + finalCap);
        b.finalSoftcap = (float) finalCap;
        RopeSpec global = GgufCommon.rope(k, b.headDim);
        String window = "attention.sliding_window";
        if (!k.has(window) || k.metadata().longValue(k.key(window)) == 0) {
            return b.layers(Common.uniform(b.numLayers, new LayerType(0, global))).build(); // LLAMA_SWA_TYPE_NONE: one RoPE for all
        }
        // rope_freq_base_train_swa defaults to 10000 (llama-hparams.h) and rope_freq_scale_train_swa stays 1
        RopeSpec local = new RopeSpec(k.positive("rope.freq_base_swa", 10000), k.positiveInt("rope.dimension_count_swa", global.rotaryDim(), b.headDim), null);
        int n = k.positiveInt(window, 0, Integer.MAX_VALUE);
        return b.layers(Gemma2.ggufLayerTypes(k, b.numLayers, 6, n, global, local)).build();
    }

    @Override
    public TensorNames ggufNames(java.util.function.Predicate<String> stored) {
        return GgufCommon.names(stored, null);
    }

    @Override
    protected String hfClass() {
        return "Gemma3ForCausalLM";
    }

    /**
     * {@link Gemma2#writeGemmaKeys} (pattern period 6, sliding layers unscaled) and final_logit_softcapping when set; an attention
     * soft-cap is refused: llama.cpp's gemma3 graph has none.
     */
    @Override
    public void writeGgufKeys(ModelConfig c, dev.shallow.io.GgufWriter.Metadata m) {
        if (c.attnSoftcap() > 0) throw new IllegalArgumentException("attn_logit_softcapping " + c.attnSoftcap() + ": llama.cpp's gemma3 graph has no attention soft-cap");
        Gemma2.writeGemmaKeys(this, c, m, 6, 62, false);
        if (c.finalSoftcap() > 0) m.f32("gemma3.final_logit_softcapping", c.finalSoftcap());
    }

    @Override
    public java.util.List<GgufTensor> ggufTensors(ModelConfig c, TensorNames hf, java.util.function.Predicate<String> stored, int[] sourceLayers) {
        return Gemma2.normsPlusOne(GgufCommon.tensors(this, c, hf, stored, sourceLayers));
    }

    @Override
    public ModelConfig fromGguf(ModelConfig c) {
        return Gemma2.rmsPlusOne(c);
    }

    /** Gemma3TextConfig: rope_theta and rope_scaling of the global layers, rope_local_base_freq of the sliding ones. */
    @Override
    public com.fasterxml.jackson.databind.node.ObjectNode hfConfig(ModelConfig c) {
        com.fasterxml.jackson.databind.node.ObjectNode o = Gemma2.gemmaConfig(this, c, 62);
        for (LayerType t : c.layerTypes()) {
            if (t.sliding()) o.put("rope_local_base_freq", t.rope().theta());
            else {
                o.put("rope_theta", t.rope().theta());
                if (t.rope().scaling() != null) o.putObject("rope_scaling").put("rope_type", t.rope().scaling().type()).put("factor", t.rope().scaling().factor());
                else o.putNull("rope_scaling");
            }
        }
        if (c.finalSoftcap() > 0) o.put("final_logit_softcapping", c.finalSoftcap());
        return o;
    }
}
