package dev.shallow.transformer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.io.Checkpoint;
import dev.shallow.io.GgufWeights;
import dev.shallow.io.HfToGguf;
import dev.shallow.io.SafetensorsWriter;
import dev.shallow.model.GgufKeys;
import dev.shallow.model.LayerType;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.NormKind;
import dev.shallow.model.family.Families;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gemma2, gemma3, phi3 and phi2 GGUF mappings: each tiny checkpoint written as convert_hf_to_gguf.py writes it
 * ({@link HfToGguf}) loads as the model llama.cpp computes from that file. Where llama.cpp computes another model than
 * transformers (Gemma: the attention scale is 1/sqrt(head_dim), query_pre_attn_scalar has no key; the embedding scale is
 * sqrtf(hidden) in float32, not rounded to a BF16 checkpoint's dtype) the comparison with the Hugging Face model is made on the
 * checkpoint llama.cpp can express: the same weights widened to F32 and query_pre_attn_scalar = head_dim.
 * Phi-3 and Phi-2 have no such difference: their GGUFs give the golden logits (GgufConventionsTest).
 */
class GgufFamiliesTest {
    /** float32 rounding: both sides compute the same float32 operations on the same values (measured: see the printed lines). */
    static final double TOL = 1e-5;
    static final Path TOKENIZER = Shared.root().resolve("real/stories260K-gguf/stories260K.gguf");

    @TempDir
    Path tmp;

    private Path gguf(String model, String arch, boolean f32, UnaryOperator<Map<String, Object>> edit) {
        return HfToGguf.convert(Shared.model(model), arch, TOKENIZER, tmp.resolve(model + (f32 ? "-f32" : "") + ".gguf"), f32, edit);
    }

    /**
     * Every field of the config read from the GGUF equals the Hugging Face config's, but: the architecture (GGUF names
     * llama.cpp's), Gemma's norm kind (the file holds 1 + w, read as a plain RMS multiply) and Gemma's attention scale (llama.cpp's
     * 1/sqrt(head_dim)).
     */
    @ParameterizedTest
    @CsvSource({"tiny-gemma2-random, gemma2", "tiny-gemma3-random, gemma3", "tiny-phi3-random, phi3", "tiny-phi-random, phi2"})
    void configIsTheHuggingFaceConfig(String model, String arch) {
        try (Model g = Model.load(gguf(model, arch, false, UnaryOperator.identity()))) {
            ModelConfig hf = ModelConfig.load(Shared.model(model)), got = g.config();
            ModelConfig.Builder same = new ModelConfig.Builder(got);
            same.architecture = hf.architecture();
            if (arch.startsWith("gemma")) {
                assertEquals(NormKind.RMS, got.norm());
                assertEquals(1 / Math.sqrt(hf.headDim()), got.attentionScale(), 0, "llama.cpp's attention scale");
                same.norm = NormKind.RMS_PLUS_ONE;
                same.attentionScale = hf.attentionScale();
            }
            assertEquals(hf, same.build());
        }
    }

    /**
     * Prefill, and token-by-token decode through the KV cache: the GGUF (F32) of the checkpoint llama.cpp can express gives the
     * logits of that checkpoint's Hugging Face directory computed the same way, on the golden's input sequences.
     */
    @ParameterizedTest
    @CsvSource({"tiny-gemma2-random, gemma2", "tiny-gemma3-random, gemma3", "tiny-phi3-random, phi3", "tiny-phi-random, phi2"})
    void logitsEqualTheHuggingFaceModel(String model, String arch) throws IOException {
        Path hf = HfToGguf.expressible(Shared.model(model), tmp.resolve(model));
        Path file = HfToGguf.convert(hf, arch, TOKENIZER, tmp.resolve(model + ".gguf"), true, UnaryOperator.identity());
        var seqs = GoldenForwardTest.inputs(model).path("sequences");
        double prefill = 0, decode = 0;
        try (Model g = Model.load(file); Model h = Model.load(hf)) {
            Transformer tg = new Transformer(g), th = new Transformer(h);
            int vocab = h.config().vocabSize();
            for (int s = 0; s < seqs.size(); s++) {
                int[] ids = GoldenForwardTest.ids(seqs.get(s));
                float[] want = th.forward(ids, th.newCache(ids.length), true);
                prefill = Math.max(prefill, maxDiff(want, 0, tg.forward(ids, tg.newCache(ids.length), true), 0, ids.length * vocab));
                KVCache cg = tg.newCache(ids.length), ch = th.newCache(ids.length);
                for (int t = 0; t < ids.length; t++) {
                    decode = Math.max(decode, maxDiff(th.forward(new int[]{ids[t]}, ch, false), 0, tg.forward(new int[]{ids[t]}, cg, false), 0, vocab));
                }
            }
        }
        System.out.printf("gguf %s (%s): max |dlogit| prefill %.2e, decode %.2e%n", model, arch, prefill, decode);
        assertTrue(prefill <= TOL && decode <= TOL, model + ": prefill " + prefill + ", decode " + decode);
    }

    private static double maxDiff(float[] a, int from, float[] b, int bFrom, int n) {
        double d = 0;
        for (int i = 0; i < n; i++) d = Math.max(d, Math.abs(a[from + i] - b[bFrom + i]));
        return d;
    }

    /** llama.cpp's embedding scale, sqrtf(n_embd) in float32, also for BF16 embeddings (transformers rounds it to BF16). */
    @Test
    void gemmaEmbeddingScaleIsFloat32WhateverTheEmbeddingsType() {
        try (Model g = Model.load(gguf("tiny-gemma2-random", "gemma2", false, UnaryOperator.identity()));
             Model h = Model.load(Shared.model("tiny-gemma2-random"))) {
            assertEquals(DType.BF16, g.embed().dtype());
            assertEquals((float) Math.sqrt(96), g.embedScale());
            assertTrue(h.embedScale() != g.embedScale(), "the BF16 Hugging Face checkpoint rounds it");
        }
    }

    /** block_count 46 (gemma2) and 62 (gemma3) are llama.cpp's 27B: the attention scale is 1/sqrt(hidden / heads). */
    @ParameterizedTest
    @CsvSource({"tiny-gemma2-random, gemma2, 46", "tiny-gemma3-random, gemma3, 62"})
    void gemma27BAttentionScale(String model, String arch, int layers) {
        ModelConfig c = config(gguf(model, arch, false, k -> with(k, "block_count", layers)));
        assertEquals(1 / Math.sqrt(c.hiddenSize() / c.numHeads()), c.attentionScale(), 0);
        assertTrue(c.hiddenSize() / c.numHeads() != c.headDim()); // so the check can fail
    }

    /** Sliding layers follow attention.sliding_window_pattern when given (i % p < p - 1), else llama.cpp's 2 (gemma2) or 6 (gemma3). */
    @ParameterizedTest
    @CsvSource({"tiny-gemma2-random, gemma2, 2, 0", "tiny-gemma3-random, gemma3, 6, 0", "tiny-gemma2-random, gemma2, 3, 3",
            "tiny-gemma3-random, gemma3, 4, 4"})
    void slidingPattern(String model, String arch, int period, int key) {
        ModelConfig c = config(gguf(model, arch, false, k -> key == 0 ? k : with(k, "attention.sliding_window_pattern", key)));
        for (int i = 0; i < c.numLayers(); i++) {
            LayerType t = c.layerType(i);
            assertEquals(i % period != period - 1, t.sliding(), "layer " + i);
            assertEquals(t.sliding() ? 8 : 0, t.window());
        }
    }

    /** Gemma 3's local layers: rope.freq_base_swa (10000 when absent), never scaled; global layers rope.freq_base with the linear factor. */
    @Test
    void gemma3LocalAndGlobalRope() {
        ModelConfig c = config(gguf("tiny-gemma3-random", "gemma3", false, k -> {
            k.remove("rope.freq_base_swa");
            return with(k, "rope.freq_base", 5e5f);
        }));
        LayerType local = c.layerType(0), global = c.layerType(5);
        assertEquals(10000, local.rope().theta());
        assertEquals(null, local.rope().scaling());
        assertEquals(5e5, global.rope().theta());
        assertEquals(8.0, global.rope().scaling().factor());
        assertEquals("linear", global.rope().scaling().type());
    }

    /** Without attention.sliding_window (or 0) llama.cpp's gemma3 has no sliding layer and one RoPE for all. */
    @Test
    void gemma3WithoutWindowIsGlobal() {
        ModelConfig c = config(gguf("tiny-gemma3-random", "gemma3", false, k -> with(k, "attention.sliding_window", 0)));
        assertEquals(List.of(c.layerType(5)), c.layerTypes().stream().distinct().toList());
        assertEquals(0, c.layerType(0).window());
    }

    /** llama.cpp disables Phi-3's sliding window (src/models/phi3.cpp: swa_type NONE whatever attention.sliding_window says). */
    @Test
    void phi3WindowIsDropped() {
        ModelConfig c = config(gguf("tiny-phi3-random", "phi3", false, k -> with(k, "attention.sliding_window", 8)));
        assertTrue(c.layerTypes().stream().noneMatch(LayerType::sliding));
        assertEquals(24, c.layerType(0).rope().rotaryDim()); // rope.dimension_count: int(0.75 x 128) / 4
    }

    @ParameterizedTest
    @CsvSource({
            "tiny-gemma2-random, gemma2, attention.layer_norm_rms_epsilon, metadata key 'gemma2.attention.layer_norm_rms_epsilon' is missing",
            "tiny-gemma3-random, gemma3, attention.head_count, metadata key 'gemma3.attention.head_count' is missing",
            "tiny-phi3-random, phi3, feed_forward_length, metadata key 'phi3.feed_forward_length' is missing",
            "tiny-phi-random, phi2, attention.layer_norm_epsilon, metadata key 'phi2.attention.layer_norm_epsilon' is missing"})
    void missingRequiredKeyIsRefused(String model, String arch, String key, String message) {
        assertRefused(gguf(model, arch, false, k -> {
            k.remove(key);
            return k;
        }), message);
    }

    /** The converter's literal Phi-2 keys (head_count_kv = heads, feed_forward_length = 4 x hidden) do not fit tiny-phi-random's tensors. */
    @Test
    void tensorsOfTheWrongShapeAreRefused() {
        assertRefused(gguf("tiny-phi-random", "phi2", false, k -> with(k, "attention.head_count_kv", 4)),
                "tensor 'blk.0.attn_k.weight' has shape [64, 128] but the GGUF metadata implies [128, 128]");
        assertRefused(gguf("tiny-phi-random", "phi2", false, k -> with(k, "feed_forward_length", 512)),
                "tensor 'blk.0.ffn_up.weight' has shape [256, 128] but the GGUF metadata implies [512, 128]");
        assertRefused(gguf("tiny-phi3-random", "phi3", false, k -> with(k, "feed_forward_length", 128)),
                "tensor 'blk.0.ffn_up.weight' has shape [512, 128] but the GGUF metadata implies [256, 128]");
        assertRefused(gguf("tiny-gemma3-random", "gemma3", false, k -> with(k, "attention.key_length", 32)),
                "tensor 'blk.0.attn_q.weight' has shape [192, 112] but the GGUF metadata implies [128, 112]");
    }

    /** Tensors llama.cpp's loader for the architecture does not create (it refuses the file: "wrong number of tensors"), or cannot use yet. */
    @ParameterizedTest
    @CsvSource({
            "tiny-gemma2-random, gemma2, output_norm.weight, output.weight, tensor 'output.weight' (an untied output head",
            "tiny-gemma3-random, gemma3, blk.0.attn_q_norm.weight, blk.0.attn_output.bias, tensor 'blk.0.attn_output.bias' (a bias) is not part of llama.cpp's gemma3",
            "tiny-phi-random, phi2, blk.0.attn_norm.bias, blk.0.attn_q_norm.weight, tensor 'blk.0.attn_q_norm.weight' (q layernorm) is not part of llama.cpp's phi2",
            "tiny-phi3-random, phi3, output_norm.weight, rope_factors_long.weight, tensor 'rope_factors_long.weight' (longrope) is not supported yet"})
    void tensorsLlamaCppDoesNotLoadAreRefused(String model, String arch, String from, String to, String message) {
        Path f = HfToGguf.convert(Shared.model(model), arch, TOKENIZER, tmp.resolve(model + ".gguf"), false, UnaryOperator.identity(),
                name -> name.equals(from) ? to : name);
        assertRefused(f, message);
    }

    /** A per-layer array pattern: llama.cpp v0.4.0's gemma3 reads only a period (an array is ignored), so it is refused. */
    @Test
    void arraySlidingPatternIsRefused() {
        int[] pattern = new int[12];
        assertRefused(gguf("tiny-gemma3-random", "gemma3", false, k -> with(k, "attention.sliding_window_pattern", pattern)),
                "metadata key 'gemma3.attention.sliding_window_pattern' is an array");
    }

    @Test
    void unsupportedRopeScalingIsRefused() {
        assertRefused(gguf("tiny-gemma3-random", "gemma3", false, k -> with(k, "rope.scaling.type", "yarn")),
                "rope.scaling.type 'yarn' is not supported");
    }

    /**
     * rope.scaling.factor without rope.scaling.type is linear scaling, as llama.cpp reads it (load_hparams: the type defaults to
     * "linear"); type "none" with a factor does not scale (llama_context: never scale if scaling type is none).
     */
    @Test
    void ropeScalingFactorWithoutTypeIsLinear() {
        ModelConfig untyped = config(gguf("tiny-gemma3-random", "gemma3", false, k -> {
            k.remove("rope.scaling.type");
            return k;
        }));
        ModelConfig hf = ModelConfig.load(Shared.model("tiny-gemma3-random"));
        assertTrue(hf.layerType(5).rope().scaling() != null, "tiny-gemma3-random's global layers are scaled");
        assertEquals(hf.layerType(5).rope().scaling(), untyped.layerType(5).rope().scaling());
        ModelConfig none = config(gguf("tiny-gemma3-random", "gemma3", false, k -> with(k, "rope.scaling.type", "none")));
        assertEquals(null, none.layerType(5).rope().scaling());
    }

    private static Map<String, Object> with(Map<String, Object> keys, String key, Object value) {
        keys.put(key, value);
        return keys;
    }

    private static ModelConfig config(Path file) {
        try (GgufWeights w = GgufWeights.open(file)) {
            GgufKeys k = GgufKeys.of(w);
            return Families.of(k).readGguf(k);
        }
    }

    private static void assertRefused(Path f, String part) {
        ShallowException e = assertThrows(ShallowException.class, () -> Model.load(f).close());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().contains(part), e.getMessage() + " should say " + part);
        assertTrue(e.getMessage().contains(f.getFileName().toString()), e.getMessage() + " should name the file");
    }
}
