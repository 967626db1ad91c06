package dev.shallow.model.family;

import dev.shallow.model.Activation;
import dev.shallow.model.ConfigJson;
import dev.shallow.model.GgufKeys;
import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.NormKind;
import dev.shallow.model.RopeSpec;

import java.util.ArrayList;
import java.util.List;

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
        b.attentionScale = 1 / Math.sqrt(b.numLayers == layers27B ? b.hiddenSize / b.numHeads : b.headDim); // n_embd / n_head in integers
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
}
