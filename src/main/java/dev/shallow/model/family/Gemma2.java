package dev.shallow.model.family;

import dev.shallow.model.Activation;
import dev.shallow.model.ConfigJson;
import dev.shallow.model.GgufKeys;
import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.NormKind;
import dev.shallow.model.RopeSpec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.io.GgufWriter;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Gemma 2 (Gemma2ForCausalLM): RMSNorm x (1 + w), four norms per layer, embeddings x sqrt(hidden), GeGLU (tanh),
 * scores x query_pre_attn_scalar^-0.5, soft-capped attention (50) and final logits (30), layers 0, 2, 4, ...
 * sliding (window 4096 by default), tied embeddings.
 * <p>
 * GGUF ({@code gemma2}), as llama.cpp v0.4.0 reads it (src/models/gemma2.cpp load_arch_hparams, load_arch_tensors, graph):
 * <table>
 * <tr><th>setting</th><th>llama.cpp</th></tr>
 * <tr><td>norm weights</td><td>stored as 1 + w by convert_hf_to_gguf.py (Gemma2Model.modify_tensors): a plain RMS multiply</td></tr>
 * <tr><td>embedding scale</td><td>sqrtf(n_embd) in float32, whatever the embeddings' type</td></tr>
 * <tr><td>attention scale</td><td>hard-coded: 1/sqrt(head_dim) (attention.key_length), or 1/sqrt(n_embd / n_head) when block_count
 * is 46 (the 27B); query_pre_attn_scalar has no key</td></tr>
 * <tr><td>soft-caps</td><td>attention always on: attn_logit_softcapping (50), final_logit_softcapping (30)</td></tr>
 * <tr><td>sliding layers</td><td>layer i slides iff i % p &lt; p - 1, p = attention.sliding_window_pattern (a scalar, 2; 0: every
 * layer), window attention.sliding_window (4096)</td></tr>
 * <tr><td>RoPE</td><td>NEOX (rotate-half, q/k not permuted), rope.freq_base (10000; the converter writes none), sliding layers
 * rope.freq_base_swa (the same base), one scaling for all</td></tr>
 * <tr><td>output</td><td>always token_embd: an {@code output.weight} is refused, as llama.cpp refuses it</td></tr>
 * </table>
 */
public final class Gemma2 extends Family {
    public Gemma2() {
        super("gemma2", "gemma2", List.of("gemma2"));
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

    /** llama.cpp's gemma2: see the table above. */
    @Override
    public ModelConfig readGguf(GgufKeys k) {
        ModelConfig.Builder b = ggufLayer(k, this, 46);
        b.attnSoftcap = (float) k.positive("attn_logit_softcapping", 50); // llama_hparams: f_attn_logit_softcapping = 50
        b.finalSoftcap = (float) k.positive("final_logit_softcapping", 30);
        GgufCommon.refuseTensor(k, TensorNames.GGUF.head() + ".weight", "an untied output head; llama.cpp's gemma2 reads token_embd");
        b.tieWordEmbeddings = true;
        RopeSpec global = GgufCommon.rope(k, b.headDim);
        RopeSpec local = new RopeSpec(k.positive("rope.freq_base_swa", global.theta()), global.rotaryDim(), global.scaling());
        int window = k.positiveInt("attention.sliding_window", 4096, Integer.MAX_VALUE);
        return b.layers(ggufLayerTypes(k, b.numLayers, 2, window, global, local)).build();
    }

    /**
     * The GGUF layer Gemma 2 and 3 share: norms stored as 1 + w (read as a plain RMS multiply), post-norms, GELU (tanh), embeddings
     * x sqrt(hidden), llama.cpp's attention scale (1/sqrt(n_embd / n_head) when block_count is {@code layers27B}, else
     * 1/sqrt(head_dim)); an attn_output or MLP bias, which llama.cpp's Gemma loaders do not create, is refused.
     */
    static ModelConfig.Builder ggufLayer(GgufKeys k, Family f, int layers27B) {
        ModelConfig.Builder b = GgufCommon.base(k, f);
        b.norm = NormKind.RMS;
        b.postNorms = true;
        b.scaleEmbeddings = true;
        b.activation = Activation.GELU_TANH;
        b.attentionScale = 1 / Math.sqrt(llamaCppScalar(b.numLayers, b.hiddenSize, b.numHeads, b.headDim, layers27B));
        for (String part : new String[]{TensorNames.GGUF.o(), TensorNames.GGUF.gate(), TensorNames.GGUF.up(), TensorNames.GGUF.down()}) {
            GgufCommon.refuseTensor(k, TensorNames.GGUF.layer(0, part, "bias"), "a bias");
        }
        b.outputBias = b.mlpBias = false;
        b.qkvBias = GgufCommon.qkvBias(k);
        return b;
    }

    /**
     * llama.cpp's sliding layers (llama_hparams::set_swa_pattern): layer i slides iff p == 0 or i % p &lt; p - 1, p the scalar
     * attention.sliding_window_pattern or {@code period}. An array there is refused: llama.cpp v0.4.0 reads only a scalar
     * (get_key_or_arr ignores an array and keeps the default), so the file's per-layer intent and llama.cpp's model differ.
     */
    static List<LayerType> ggufLayerTypes(GgufKeys k, int layers, int period, int window, RopeSpec global, RopeSpec local) {
        String key = "attention.sliding_window_pattern";
        if (k.has(key)) {
            if (k.metadata().typeName(k.key(key)).startsWith("array")) {
                throw k.fail("metadata key '" + k.key(key) + "' is an array (per-layer); llama.cpp's " + k.architecture() + " reads only a period");
            }
            long p = k.metadata().longValue(k.key(key));
            if (p < 0 || p > Integer.MAX_VALUE) throw k.fail("metadata key '" + k.key(key) + "' is " + p + ", not a period (u32)");
            period = (int) p;
        }
        List<LayerType> out = new ArrayList<>(layers);
        for (int i = 0; i < layers; i++) out.add(period == 0 || i % period < period - 1 ? new LayerType(window, local) : new LayerType(0, global));
        return out;
    }

    @Override
    public TensorNames ggufNames(java.util.function.Predicate<String> stored) {
        return GgufCommon.names(stored, null);
    }

    /**
     * The query_pre_attn_scalar llama.cpp's Gemma graphs hard-code (src/models/gemma2.cpp, gemma3.cpp graph: kq_scale): n_embd / n_head
     * (integers) when block_count is {@code layers27B} (46 for gemma2, 62 for gemma3: the 27B), else head_dim (attention.key_length).
     */
    static int llamaCppScalar(int layers, int hidden, int heads, int headDim, int layers27B) {
        return layers == layers27B ? hidden / heads : headDim;
    }

    @Override
    protected String hfClass() {
        return "Gemma2ForCausalLM";
    }

    /** The keys of {@link #writeGemmaKeys}, then both soft-caps (llama.cpp's gemma2 always applies them: none cannot be written). */
    @Override
    public void writeGgufKeys(ModelConfig c, GgufWriter.Metadata m) {
        if (!c.tieWordEmbeddings()) throw new IllegalArgumentException("tie_word_embeddings false: llama.cpp's gemma2 always uses token_embd as the output head");
        if (c.attnSoftcap() <= 0 || c.finalSoftcap() <= 0) {
            throw new IllegalArgumentException((c.attnSoftcap() <= 0 ? "attn_logit_softcapping" : "final_logit_softcapping")
                    + " null: llama.cpp's gemma2 always soft-caps (50 and 30 when the keys are absent)");
        }
        writeGemmaKeys(this, c, m, 2, 46, true);
        m.f32("gemma2.attn_logit_softcapping", c.attnSoftcap()).f32("gemma2.final_logit_softcapping", c.finalSoftcap());
    }

    /**
     * What Gemma 2 and 3 write (convert_hf_to_gguf.py Gemma2Model / Gemma3Model set_gguf_parameters, and what llama.cpp hard-codes):
     * the common keys and RoPE of the global layers (rope.freq_base_swa for the sliding ones when another base), the window and,
     * when not {@code period}, attention.sliding_window_pattern. Refused in one line: an attention scale other than the one
     * llama.cpp computes for the written block_count ({@link #llamaCppScalar}), an o_proj or MLP bias (no tensor in llama.cpp's
     * Gemma loaders), and sliding layers in another pattern than llama.cpp's "layer i slides iff i % p &lt; p - 1"
     * (llama_hparams::set_swa_pattern), or sliding layers scaled otherwise than llama.cpp scales them ({@code swaScaled}: gemma2's
     * take the global layers' linear scaling, gemma3's are never scaled, rope_freq_scale_train_swa).
     */
    static void writeGemmaKeys(Family f, ModelConfig c, GgufWriter.Metadata m, int period, int layers27B, boolean swaScaled) {
        String arch = f.ggufWriteArchitecture();
        int scalar = llamaCppScalar(c.numLayers(), c.hiddenSize(), c.numHeads(), c.headDim(), layers27B);
        if (Math.abs(c.attentionScale() * Math.sqrt(scalar) - 1) > 1e-12) {
            throw new IllegalArgumentException(String.format("query_pre_attn_scalar %.6g: llama.cpp's %s has no key for it and scales attention by 1/sqrt(%d)"
                    + " (%s) for %d layers", 1 / (c.attentionScale() * c.attentionScale()), arch, scalar,
                    c.numLayers() == layers27B ? "hidden_size / num_attention_heads at " + layers27B + " layers" : "head_dim", c.numLayers()));
        }
        if (c.outputBias() || c.mlpBias()) throw new IllegalArgumentException((c.outputBias() ? "attention_bias" : "mlp_bias")
                + " true: llama.cpp's " + arch + " has no attn_output / MLP bias");
        int p = slidingPeriod(c, period);
        if (p < 0) {
            StringBuilder types = new StringBuilder();
            for (LayerType t : c.layerTypes()) types.append(t.sliding() ? 'S' : 'F');
            throw new IllegalArgumentException("layer_types " + types + " (S sliding, F full) is not llama.cpp's " + arch + " pattern (layer i slides iff i % p < p - 1,"
                    + " attention.sliding_window_pattern p): remove whole periods of " + period + " layers, or prune to the Hugging Face format");
        }
        RopeSpec global = null, local = null;
        int window = 0;
        for (LayerType t : c.layerTypes()) {
            if (t.sliding()) {
                if (local != null && (!t.rope().equals(local) || t.window() != window)) throw new IllegalArgumentException("sliding layers with different windows or RoPE cannot be written as llama.cpp's " + arch);
                local = t.rope();
                window = t.window();
            } else {
                if (global != null && !t.rope().equals(global)) throw new IllegalArgumentException("global layers with different RoPE cannot be written as llama.cpp's " + arch);
                global = t.rope();
            }
        }
        if (local != null && !java.util.Objects.equals(local.scaling(), swaScaled && global != null ? global.scaling() : swaScaled ? local.scaling() : null)) {
            throw new IllegalArgumentException("rope_scaling " + local.scaling() + " on the sliding layers: llama.cpp's " + arch
                    + (swaScaled ? " scales them as the global layers" : " never scales them"));
        }
        GgufCommon.writeKeysWithoutRope(f, c, m);
        String a = arch + ".";
        if (global != null) GgufCommon.writeRope(f, global, m);
        if (local != null) {
            if (global == null) GgufCommon.writeRope(f, new RopeSpec(10000, local.rotaryDim(), local.scaling()), m);
            m.f32(a + "rope.freq_base_swa", (float) local.theta());
            if (local.rotaryDim() != (global == null ? local : global).rotaryDim()) m.u32(a + "rope.dimension_count_swa", local.rotaryDim());
            m.u32(a + "attention.sliding_window", window);
        }
        if (p != period) m.u32(a + "attention.sliding_window_pattern", p);
    }

    /** The period p (preferring {@code preferred}; 0: every layer) for which layer i slides iff p == 0 or i % p &lt; p - 1 gives c's layers, or -1. */
    static int slidingPeriod(ModelConfig c, int preferred) {
        List<Integer> candidates = new ArrayList<>(List.of(preferred));
        for (int p = 1; p <= c.numLayers(); p++) candidates.add(p);
        candidates.add(0);
        for (int p : candidates) {
            boolean fits = true;
            for (int i = 0; i < c.numLayers() && fits; i++) fits = c.layerType(i).sliding() == (p == 0 || i % p < p - 1);
            if (fits) return p;
        }
        return -1;
    }

    @Override
    public List<GgufTensor> ggufTensors(ModelConfig c, TensorNames hf, Predicate<String> stored, int[] sourceLayers) {
        return normsPlusOne(GgufCommon.tensors(this, c, hf, stored, sourceLayers));
    }

    /** Every norm weight stored as 1 + w in float32 (convert_hf_to_gguf.py Gemma2Model.modify_tensors, Gemma3Model.norm_shift), back as w - 1. */
    static List<GgufTensor> normsPlusOne(List<GgufTensor> tensors) {
        return tensors.stream().map(t -> t.name().endsWith("norm.weight") ? t.mapped(w -> w + 1, w -> w - 1) : t).toList();
    }

    /** The file holds 1 + w: the Hugging Face model's norms are RMS x (1 + w). */
    @Override
    public ModelConfig fromGguf(ModelConfig c) {
        return rmsPlusOne(c);
    }

    /** {@code c} with its norms RMS x (1 + w), as Gemma 2 and 3 checkpoints compute them. */
    static ModelConfig rmsPlusOne(ModelConfig c) {
        ModelConfig.Builder b = new ModelConfig.Builder(c);
        b.norm = NormKind.RMS_PLUS_ONE;
        return b.build();
    }

    @Override
    public ObjectNode hfConfig(ModelConfig c) {
        ObjectNode o = gemmaConfig(this, c, 46);
        o.put("attn_logit_softcapping", c.attnSoftcap()).put("final_logit_softcapping", c.finalSoftcap());
        return o;
    }

    /** The config.json keys Gemma2Config and Gemma3TextConfig share, layer_types always (their defaults derive it from indices). */
    static ObjectNode gemmaConfig(Family f, ModelConfig c, int layers27B) {
        ObjectNode o = GgufCommon.hfConfig(f, c);
        o.remove(List.of("mlp_bias", "use_sliding_window", "hidden_act"));
        o.put("hidden_activation", "gelu_pytorch_tanh").put("attention_bias", c.qkvBias())
                .put("query_pre_attn_scalar", llamaCppScalar(c.numLayers(), c.hiddenSize(), c.numHeads(), c.headDim(), layers27B));
        var types = o.putArray("layer_types");
        int window = 0;
        for (LayerType t : c.layerTypes()) {
            types.add(t.hfName());
            window = Math.max(window, t.window());
        }
        if (window > 0) o.put("sliding_window", window);
        return o;
    }
}
