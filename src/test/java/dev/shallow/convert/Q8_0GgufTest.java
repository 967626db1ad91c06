package dev.shallow.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import dev.shallow.io.GgmlType;
import dev.shallow.io.GgufFile;
import dev.shallow.io.GgufTensorInfo;
import dev.shallow.io.QuantizedModels;
import dev.shallow.model.Model;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Q8_0Tensor;
import dev.shallow.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GGUFs Shallow writes in Q8_0 (HF -> GGUF, GGUF -> GGUF), pruned, and read back to Hugging Face dequantized. */
class Q8_0GgufTest {
    /**
     * Largest |logit difference| allowed between the Q8_0 and the F32 GGUF of a model on golden sequence 2. Q8_0 keeps each
     * weight within half a step of 1/127 of its block's largest; measured, it moved the logits by at most 0.100
     * (stories-16L, logits up to 14.6) and 0.0995 (tiny-qwen3-random, logits up to 3.0); 0.25 leaves room, while a wrong
     * block, scale or row order moves them by about their own size.
     */
    static final double LOGIT_TOL = 0.25;

    @TempDir
    Path tmp;

    private static byte[] bytes(GgufFile f, String tensor) {
        return f.tensorData(tensor).toArray(ValueLayout.JAVA_BYTE);
    }

    /**
     * Every tensor of the Q8_0 file is the F32 file's (the same writer with the same row placement, llama's q/k rows
     * interleaved: GgufExporterTest checks those) encoded by llama.cpp's rule: Q8_0 blocks equal to
     * {@link Q8_0Tensor#quantize} of the F32 rows, norms and 1-D tensors F32 as they are, rows not whole blocks of 32
     * (stories260K's ffn_down, 172 wide) F16 of the F32 values; general.file_type 7.
     */
    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "stories-16L", "tiny-qwen3-random"})
    void blocksAreTheQuantizerAppliedToTheRows(String name) {
        Path f32 = tmp.resolve(name + "-f32.gguf"), q8 = tmp.resolve(name + "-q8_0.gguf");
        GgufExporter.write(Shared.model(name), f32, new GgufExporter.Options(GgmlType.F32, false), null, null);
        GgufExporter.write(Shared.model(name), q8, new GgufExporter.Options(GgmlType.Q8_0, false), null, null);
        int quantized = 0, fallback = 0;
        try (GgufFile a = GgufFile.open(f32); GgufFile b = GgufFile.open(q8); Arena arena = Arena.ofConfined()) {
            assertEquals(7, b.metadata().longValue("general.file_type")); // llama.h LLAMA_FTYPE_MOSTLY_Q8_0
            assertEquals(a.tensors().keySet(), b.tensors().keySet());
            for (GgufTensorInfo t : a.tensors().values()) {
                GgufTensorInfo q = b.tensors().get(t.name());
                assertArrayEquals(t.shape(), q.shape(), t.name());
                float[] values = Tensor.of(DType.F32, a.tensorData(t.name()), new long[] {t.elements()}).toFloatArray();
                long cols = t.ne()[0];
                GgmlType want = t.shape().length == 1 || t.name().endsWith("_norm.weight") ? GgmlType.F32 : cols % 32 == 0 ? GgmlType.Q8_0 : GgmlType.F16;
                assertEquals(want, q.type(), t.name());
                MemorySegment expect = arena.allocate(want.dtype.byteSize(t.elements()));
                switch (want) {
                    case Q8_0 -> {
                        for (long r = 0; r < t.elements() / cols; r++) {
                            Q8_0Tensor.quantize(values, (int) (r * cols), (int) cols, expect, r * DType.Q8_0.byteSize(cols));
                        }
                        quantized++;
                    }
                    case F16 -> {
                        for (int i = 0; i < values.length; i++) expect.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(values[i]));
                        fallback++;
                    }
                    default -> MemorySegment.copy(a.tensorData(t.name()), 0, expect, 0, expect.byteSize());
                }
                assertArrayEquals(expect.toArray(ValueLayout.JAVA_BYTE), bytes(b, t.name()), t.name());
            }
        }
        assertTrue(quantized > 0, "some Q8_0 tensors");
        if (name.equals("stories260K")) assertEquals(5, fallback, "ffn_down of each of 5 layers falls back to F16");
    }

    /** Shallow reads its Q8_0 GGUF back and computes logits within {@link #LOGIT_TOL} of the F32 GGUF's. */
    @ParameterizedTest
    @ValueSource(strings = {"stories-16L", "tiny-qwen3-random"})
    void q8_0LogitsAreNearF32(String name) throws IOException {
        Path f32 = tmp.resolve(name + "-f32.gguf"), q8 = tmp.resolve(name + "-q8_0.gguf");
        GgufExporter.write(Shared.model(name), f32, new GgufExporter.Options(GgmlType.F32, false), null, null);
        GgufExporter.write(Shared.model(name), q8, new GgufExporter.Options(GgmlType.Q8_0, false), null, null);
        try (Model m = Model.load(q8)) {
            assertEquals(DType.Q8_0, m.layer(0).matrices().getFirst().dtype());
        }
        int[] ids = GgufExporterTest.goldenIds(name);
        float[] want = GgufExporterTest.logits(f32, ids), got = GgufExporterTest.logits(q8, ids);
        double worst = 0, scale = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(want[i] - got[i]));
            scale = Math.max(scale, Math.abs(want[i]));
        }
        System.out.printf("%s Q8_0 vs F32 GGUF: max |dlogit| %.3g, %.3g of the largest |logit| %.3g%n", name, worst, worst / scale, scale);
        assertTrue(worst > 0, "Q8_0 changes something");
        assertTrue(worst <= LOGIT_TOL, name + ": max |dlogit| " + worst + " of " + scale);
    }

    /** GGUF (BF16 weights) -> GGUF --dtype q8_0 gives the blocks HF -> GGUF q8_0 gives (BF16 widens exactly). */
    @Test
    void aFloatGgufRewrittenAsQ8_0EqualsTheDirectExport() {
        Path bf16 = tmp.resolve("bf16.gguf"), viaGguf = tmp.resolve("via.gguf"), direct = tmp.resolve("direct.gguf");
        GgufExporter.write(Shared.model("tiny-qwen3-random"), bf16, new GgufExporter.Options(null, false), null, null);
        GgufRewriter.write(bf16, viaGguf, GgmlType.Q8_0, null, null);
        GgufExporter.write(Shared.model("tiny-qwen3-random"), direct, new GgufExporter.Options(GgmlType.Q8_0, false), null, null);
        try (GgufFile a = GgufFile.open(direct); GgufFile b = GgufFile.open(viaGguf)) {
            assertEquals(7, b.metadata().longValue("general.file_type"));
            for (GgufTensorInfo t : a.tensors().values()) {
                assertEquals(t.type(), b.tensors().get(t.name()).type(), t.name());
                assertArrayEquals(bytes(a, t.name()), bytes(b, t.name()), t.name());
            }
        }
    }

    /** Pruning Shallow's Q8_0 GGUF copies every kept tensor's blocks. */
    @Test
    void pruningAQ8_0GgufKeepsBlocks() {
        Path q8 = tmp.resolve("q8.gguf"), out = tmp.resolve("p.gguf");
        GgufExporter.write(Shared.model("stories-16L"), q8, new GgufExporter.Options(GgmlType.Q8_0, false), null, null);
        int[] kept = {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15};
        GgufRewriter.write(q8, out, null, kept, new ObjectMapper().createObjectNode().put("strategy", "explicit"));
        try (GgufFile i = GgufFile.open(q8); GgufFile o = GgufFile.open(out)) {
            assertEquals(12, o.metadata().longValue("llama.block_count"));
            assertEquals(7, o.metadata().longValue("general.file_type"));
            int compared = 0;
            for (GgufTensorInfo t : i.tensors().values()) {
                String name = t.name();
                if (name.startsWith("blk.")) {
                    String[] p = name.split("\\.", 3);
                    int idx = Arrays.binarySearch(kept, Integer.parseInt(p[1]));
                    if (idx < 0) continue;
                    name = "blk." + idx + "." + p[2];
                }
                assertEquals(t.type(), o.tensors().get(name).type(), name);
                assertArrayEquals(bytes(i, t.name()), bytes(o, name), t.name());
                if (t.type() == GgmlType.Q8_0) compared++;
            }
            assertEquals(o.tensors().size(), i.tensors().size() - 4 * 9);
            assertTrue(compared > 12 * 7, "Q8_0 tensors compared: " + compared);
        }
    }

    /**
     * A quantized GGUF (Shallow's Q8_0; a Q4_K re-encoding) to Hugging Face: every matrix is the GGUF's decoded
     * (F32 by default, BF16 of it with --dtype bf16), q/k rows back in Hugging Face order (compared through Model.load,
     * which puts both in that order).
     */
    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_K"})
    void aQuantizedGgufImportsDequantized(String type) throws Exception {
        Path gguf;
        if (type.equals("Q8_0")) {
            gguf = tmp.resolve("q8.gguf");
            GgufExporter.write(Shared.model("stories-16L"), gguf, new GgufExporter.Options(GgmlType.Q8_0, false), null, null);
        } else {
            gguf = QuantizedModels.reencode(QuantizedModels.baseModel(tmp), DType.valueOf(type), false, tmp.resolve(type + ".gguf"));
        }
        Path f32 = tmp.resolve("hf-f32"), bf16 = tmp.resolve("hf-bf16");
        GgufImporter.write(gguf, f32, null, false);
        GgufImporter.write(gguf, bf16, GgmlType.BF16, false);
        try (Model g = Model.load(gguf); Model a = Model.load(f32); Model b = Model.load(bf16)) {
            assertEquals(DType.valueOf(type), g.layer(0).matrices().getFirst().dtype());
            assertEquals("float32", a.config().torchDtype());
            List<Tensor[]> triples = new java.util.ArrayList<>();
            triples.add(new Tensor[] {g.embed(), a.embed(), b.embed()});
            triples.add(new Tensor[] {g.lmHead(), a.lmHead(), b.lmHead()});
            for (int l = 0; l < g.config().numLayers(); l++) {
                for (int m = 0; m < g.layer(l).matrices().size(); m++) {
                    triples.add(new Tensor[] {g.layer(l).matrices().get(m), a.layer(l).matrices().get(m), b.layer(l).matrices().get(m)});
                }
            }
            for (Tensor[] t : triples) {
                float[] want = t[0].toFloatArray();
                assertEquals(DType.F32, t[1].dtype());
                assertEquals(DType.BF16, t[2].dtype());
                assertArrayEquals(want, t[1].toFloatArray());
                float[] rounded = new float[want.length];
                for (int i = 0; i < want.length; i++) rounded[i] = dev.shallow.tensor.BF16Tensor.toFloat(dev.shallow.tensor.BF16Tensor.fromFloat(want[i]));
                assertArrayEquals(rounded, t[2].toFloatArray());
            }
        }
    }
}
