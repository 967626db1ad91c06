package dev.shallow.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.io.GgmlType;
import dev.shallow.io.Checkpoint;
import dev.shallow.io.GgufFile;
import dev.shallow.io.GgufTensorInfo;
import dev.shallow.io.GgufWriter;
import dev.shallow.io.HfToGguf;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.family.Families;
import dev.shallow.tensor.Tensor;
import dev.shallow.transformer.KVCache;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hugging Face directories written as GGUF and read back by Shallow's own reader compute the same model. */
class GgufExporterTest {
    @TempDir
    Path tmp;

    static int[] goldenIds(String name) throws IOException {
        JsonNode seq = new ObjectMapper().readTree(Shared.golden(name).resolve("inputs.json").toFile()).path("sequences").get(2);
        int[] ids = new int[seq.path("ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = seq.path("ids").get(i).asInt();
        return ids;
    }

    /** The logits of golden sequence 2 (33 tokens). */
    static float[] logits(Path model, int[] ids) {
        try (Model m = Model.load(model)) {
            Transformer tf = new Transformer(m);
            return tf.forward(new int[][] {ids}, new KVCache[] {tf.newCache(ids.length)}, true, null);
        }
    }

    /** HF -> GGUF F32 -> Model.load: the same config (but the torch dtype) and logits within float32 rounding of the HF model's. */
    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "stories-16L", "tiny-qwen2-random", "tiny-qwen3-random", "tiny-smollm3-random"})
    void f32RoundTripComputesTheSameModel(String name) throws IOException {
        Path hf = Shared.model(name), out = tmp.resolve(name + ".gguf");
        GgufExporter.write(hf, out, new GgufExporter.Options(GgmlType.F32, false), null, null);
        try (Model g = Model.load(out); Model h = Model.load(hf)) {
            ModelConfig.Builder same = new ModelConfig.Builder(g.config());
            same.architecture = h.config().architecture();
            same.torchDtype = h.config().torchDtype();
            assertEquals(h.config(), same.build());
        }
        int[] ids = goldenIds(name);
        float[] want = logits(hf, ids), got = logits(out, ids);
        double worst = 0;
        for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - got[i]));
        System.out.printf("%s HF vs GGUF F32: max |dlogit| %.2e over %d logits%n", name, worst, want.length);
        assertTrue(worst <= 1e-5, name + ": max |dlogit| " + worst);
    }

    /**
     * Gemma 2/3, Phi-3 and Phi-2, each in the form llama.cpp can express ({@link HfToGguf#expressible}: F32, Gemma's
     * query_pre_attn_scalar = head_dim): HF -> GGUF F32 -> Model.load gives the HF model's config (but the GGUF's norm form:
     * {@link dev.shallow.model.family.Family#fromGguf}) and logits within float32 rounding; GGUF -> HF gives the same tensors
     * (Gemma's norms w back from the file's 1 + w, within float32 rounding of 1 + w) and the same logits.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-gemma2-random", "tiny-gemma3-random", "tiny-phi3-random", "tiny-phi-random"})
    void gemmaAndPhiRoundTrip(String name) throws IOException {
        Path hf = HfToGguf.expressible(Shared.model(name), tmp.resolve(name.replace("phi3", "p3"))), out = tmp.resolve(name + ".gguf"); // GgufExporter.checkPhi3Tokens
        GgufExporter.write(hf, out, new GgufExporter.Options(GgmlType.F32, false), null, null);
        try (Model g = Model.load(out); Model h = Model.load(hf)) {
            ModelConfig.Builder same = new ModelConfig.Builder(Families.of(h.config()).fromGguf(g.config()));
            same.architecture = h.config().architecture();
            assertEquals(h.config(), same.build());
        }
        int[] ids = goldenIds(name);
        float[] want = logits(hf, ids);
        assertTrue(maxDiff(want, logits(out, ids)) <= 1e-5, name + " GGUF: max |dlogit| " + maxDiff(want, logits(out, ids)));
        Path back = tmp.resolve(name + "-back");
        GgufImporter.write(out, back, null, false);
        try (Checkpoint a = Checkpoint.open(hf); Checkpoint b = Checkpoint.open(back)) {
            for (String t : a.names()) {
                if (t.equals("lm_head.weight") && ModelConfig.load(hf).tieWordEmbeddings()) continue;
                float[] x = a.tensor(t).toFloatArray(), y = b.tensor(t).toFloatArray();
                assertArrayEquals(a.tensor(t).shape(), b.tensor(t).shape(), t);
                boolean plusOne = name.contains("gemma") && t.endsWith("norm.weight");
                for (int i = 0; i < x.length; i++) {
                    float tol = plusOne ? Math.ulp(1 + Math.abs(x[i])) : 0;
                    assertTrue(Math.abs(x[i] - y[i]) <= tol, t + "[" + i + "]: " + x[i] + " back as " + y[i]);
                }
            }
            assertEquals(a.names().size() - (ModelConfig.load(hf).tieWordEmbeddings() && a.has("lm_head.weight") ? 1 : 0), b.names().size());
        }
        double back2 = maxDiff(want, logits(back, ids));
        System.out.printf("%s HF -> GGUF F32 -> HF: max |dlogit| %.2e%n", name, back2);
        assertTrue(back2 <= 1e-5, name + " back to HF: max |dlogit| " + back2);
    }

    /**
     * A BF16 Gemma checkpoint (query_pre_attn_scalar = head_dim, weights as stored) written as GGUF is not refused although
     * llama.cpp scales its embeddings by sqrtf(hidden) in float32 where transformers rounds the factor to bfloat16 (9.8125 for
     * sqrt(96) = 9.798 here, 0.15% larger): the difference this makes to log-probabilities is measured (printed) and asserted to
     * stay below {@link #BF16_EMBED_SCALE_TOL}; README states it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-gemma2-random", "tiny-gemma3-random"})
    void bf16GemmaEmbeddingScaleDifferenceIsSmall(String name) throws IOException {
        Path hf = Shared.copyModel(Shared.model(name), tmp.resolve(name));
        ObjectMapper json = new ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode c = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(hf.resolve("config.json").toFile());
        c.put("query_pre_attn_scalar", c.path("head_dim").asInt());
        json.writeValue(hf.resolve("config.json").toFile(), c);
        Path out = tmp.resolve(name + ".gguf");
        GgufExporter.write(hf, out, new GgufExporter.Options(GgmlType.F32, false), null, null);
        int[] ids = goldenIds(name);
        float[] want = logits(hf, ids), got = logits(out, ids);
        int vocab = ModelConfig.load(hf).vocabSize();
        double worst = 0;
        for (int t = 0; t < ids.length; t++) {
            for (int v = 0; v < vocab; v++) {
                worst = Math.max(worst, Math.abs(dev.shallow.eval.LogProbs.logProb(want, t * vocab, vocab, v) - dev.shallow.eval.LogProbs.logProb(got, t * vocab, vocab, v)));
            }
        }
        System.out.printf("%s BF16 HF (embedding scale rounded to bfloat16) vs its GGUF (float32 sqrtf): max |d log p| %.3g%n", name, worst);
        assertTrue(worst > 0 && worst <= BF16_EMBED_SCALE_TOL, name + ": max |d log p| " + worst);
    }

    /** The bound on {@link #bf16GemmaEmbeddingScaleDifferenceIsSmall}'s difference; measured 0.027 (tiny-gemma2), 0.032 (tiny-gemma3). */
    static final double BF16_EMBED_SCALE_TOL = 0.05;

    /**
     * A phi2 GGUF with q/k/v fused as {@code blk.N.attn_qkv} (rows [q | k | v], which llama.cpp's phi2 loader also takes and older
     * converters wrote): Shallow reads it as the same model, and converting it to Hugging Face splits it back into q_proj, k_proj
     * and v_proj (weights and biases) equal to the checkpoint's.
     */
    @Test
    void phi2FusedQkvSplitsBack() throws IOException {
        Path hf = Shared.model("tiny-phi-random"), separate = tmp.resolve("phi2.gguf"), fused = tmp.resolve("phi2-fused.gguf");
        GgufExporter.write(hf, separate, new GgufExporter.Options(GgmlType.F32, false), null, null);
        try (GgufFile g = GgufFile.open(separate)) {
            GgufWriter.Metadata m = new GgufWriter.Metadata();
            for (String key : g.metadata().keys()) m.encoded(key, g.metadata().encoded(key));
            List<GgufWriter.Tensor> tensors = new ArrayList<>();
            for (GgufTensorInfo t : g.tensors().values()) {
                String n = t.name();
                if (n.matches("blk\\.\\d+\\.attn_[kv]\\..*")) continue;
                if (!n.matches("blk\\.\\d+\\.attn_q\\..*")) {
                    tensors.add(new GgufWriter.Tensor(n, t.shape(), t.type(), dst -> MemorySegment.copy(g.tensorData(n), 0, dst, 0, dst.byteSize())));
                    continue;
                }
                List<String> parts = List.of(n, n.replace("attn_q", "attn_k"), n.replace("attn_q", "attn_v"));
                long[] shape = t.shape().clone();
                shape[0] = parts.stream().mapToLong(x -> g.tensors().get(x).shape()[0]).sum();
                tensors.add(new GgufWriter.Tensor(n.replace("attn_q", "attn_qkv"), shape, GgmlType.F32, dst -> {
                    long at = 0;
                    for (String x : parts) {
                        MemorySegment seg = g.tensorData(x);
                        MemorySegment.copy(seg, 0, dst, at, seg.byteSize());
                        at += seg.byteSize();
                    }
                }));
            }
            GgufWriter.write(fused, m, tensors);
        }
        try (GgufFile f = GgufFile.open(fused)) {
            assertTrue(f.tensors().containsKey("blk.0.attn_qkv.weight") && !f.tensors().containsKey("blk.0.attn_q.weight"));
        }
        int[] ids = goldenIds("tiny-phi-random");
        assertEquals(0, maxDiff(logits(separate, ids), logits(fused, ids)));
        Path back = tmp.resolve("phi2-back");
        GgufImporter.write(fused, back, null, false);
        try (Checkpoint a = Checkpoint.open(hf); Checkpoint b = Checkpoint.open(back)) {
            assertEquals(a.names().size(), b.names().size());
            for (String t : a.names()) {
                assertArrayEquals(a.tensor(t).shape(), b.tensor(t).shape(), t);
                assertArrayEquals(a.tensor(t).toFloatArray(), b.tensor(t).toFloatArray(), t);
            }
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
        return worst;
    }

    /** A BF16 checkpoint written as it is stored: every matrix byte-identical (q/k compared after Shallow undoes the interleaving). */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-qwen2-random", "tiny-qwen3-random"})
    void bf16MatricesAreByteIdentical(String name) {
        Path out = tmp.resolve(name + ".gguf");
        GgufExporter.write(Shared.model(name), out, new GgufExporter.Options(null, false), null, null);
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(GgmlType.BF16, f.tensors().get("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.F32, f.tensors().get("blk.0.attn_norm.weight").type());
            assertEquals(32, f.metadata().longValue("general.file_type")); // llama.cpp LLAMA_FTYPE_MOSTLY_BF16
        }
        try (Model g = Model.load(out); Model h = Model.load(Shared.model(name))) {
            assertBytes(h.embed(), g.embed());
            assertBytes(h.lmHead(), g.lmHead());
            for (int l = 0; l < h.config().numLayers(); l++) {
                for (int m = 0; m < h.layer(l).matrices().size(); m++) assertBytes(h.layer(l).matrices().get(m), g.layer(l).matrices().get(m));
            }
        }
    }

    private static void assertBytes(Tensor want, Tensor got) {
        assertEquals(want.dtype(), got.dtype());
        assertArrayEquals(want.segment().toArray(ValueLayout.JAVA_BYTE), got.segment().toArray(ValueLayout.JAVA_BYTE));
    }

    /** llama's q/k rows are stored interleaved (convert_hf_to_gguf.py LlamaModel.permute): the file's rows are not the checkpoint's. */
    @Test
    void llamaQkRowsAreInterleavedInTheFile() {
        Path out = tmp.resolve("s.gguf");
        GgufExporter.write(Shared.model("stories260K"), out, new GgufExporter.Options(null, false), null, null);
        try (GgufFile f = GgufFile.open(out); Model h = Model.load(Shared.model("stories260K"))) {
            assertEquals("llama", f.metadata().string("general.architecture"));
            assertEquals(5, f.metadata().longValue("llama.block_count"));
            assertEquals(8, f.metadata().longValue("llama.rope.dimension_count"));
            assertEquals(0, f.metadata().longValue("general.file_type"));
            byte[] file = f.tensorData("blk.0.attn_q.weight").toArray(ValueLayout.JAVA_BYTE);
            byte[] hf = h.layer(0).matrices().getFirst().segment().toArray(ValueLayout.JAVA_BYTE);
            assertFalse(java.util.Arrays.equals(file, hf));
            int rowBytes = 64 * 4, d = 8;
            for (int r = 0; r < 64; r++) {
                int g = dev.shallow.model.InterleavedRows.ggufRow(r, d);
                assertArrayEquals(java.util.Arrays.copyOfRange(hf, r * rowBytes, (r + 1) * rowBytes), java.util.Arrays.copyOfRange(file, g * rowBytes, (g + 1) * rowBytes));
            }
        }
    }

    /** A sliding window llama.cpp's graph ignores: refused in one line naming the key and the token count, nothing written; allowed with a warning. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-mistral-random", "tiny-qwen2-swa-random"})
    void ignoredWindowIsRefusedUnlessAllowed(String name) throws IOException {
        Path out = tmp.resolve(name + ".gguf");
        ShallowException e = assertThrows(ShallowException.class,
                () -> GgufExporter.write(Shared.model(name), out, new GgufExporter.Options(null, false), null, null));
        assertEquals(1, e.getMessage().lines().count());
        assertTrue(e.getMessage().contains("sliding_window = 8") && e.getMessage().contains("longer than 8 tokens"), e.getMessage());
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
        try (var s = Files.list(tmp)) {
            assertEquals(0, s.count());
        }
        GgufExporter.Result r = GgufExporter.write(Shared.model(name), out, new GgufExporter.Options(null, true), null, null);
        assertEquals(1, r.warnings().size());
        assertTrue(r.warnings().getFirst().contains("sliding_window = 8"));
        try (Model g = Model.load(out)) {
            assertTrue(g.config().layerTypes().stream().noneMatch(t -> t.sliding()));
        }
    }
}
