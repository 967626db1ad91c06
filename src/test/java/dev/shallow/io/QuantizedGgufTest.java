package dev.shallow.io;

import dev.shallow.ShallowException;
import dev.shallow.model.Model;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.GgmlBlocks;
import dev.shallow.tensor.Q4KTensor;
import dev.shallow.tensor.Q8_0Tensor;
import dev.shallow.tensor.QuantizedTensor;
import dev.shallow.tensor.Tensor;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GGUF files with quantized tensors: read as their tensor types, other types refused in one line, NaN or infinite fp16
 * scales found by the load-time scan (naming tensor and block), malformed tensors refused; and a model whose matrices
 * are Q8_0 or Q4_K computes the logits of the same model with those matrices decoded to F32.
 */
class QuantizedGgufTest {
    @TempDir
    Path tmp;

    /** A file with one [rows, cols] tensor "w" of ggml type {@code type} holding {@code data}. */
    Path oneTensor(GgmlType type, long cols, long rows, byte[] data) {
        return new GgufBuilder().string("general.architecture", "llama").tensor("w", type, 0, cols, rows).data(data).write(tmp.resolve(type + ".gguf"));
    }

    static void assertOneLine(ShallowException e, String... parts) {
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        for (String p : parts) assertTrue(e.getMessage().contains(p), e.getMessage() + " should say " + p);
    }

    @Test
    void blockFormatsAreReadAsTheirTypes() {
        for (DType t : GgmlBlocks.TYPES) {
            byte[] blocks = GgmlBlocks.random(t, 3, 2 * t.block, t.ordinal(), 0.5f);
            try (GgufWeights w = GgufWeights.open(oneTensor(GgmlType.of(t), 2L * t.block, 3, blocks))) {
                Tensor x = w.tensor("w");
                assertInstanceOf(QuantizedTensor.class, x);
                assertEquals(t, x.dtype());
                assertEquals(3, x.rows());
                assertEquals(2 * t.block, x.cols());
                float[] want = GgmlBlocks.dequantize(t, blocks), got = x.toFloatArray();
                for (int i = 0; i < want.length; i++) assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), t + " element " + i);
                w.requireFinite();
            }
        }
    }

    @Test
    void otherTypesAreRefusedByNameAndType() {
        try (GgufWeights w = GgufWeights.open(oneTensor(GgmlType.Q4_1, 32, 2, new byte[40]))) {
            assertOneLine(assertThrows(ShallowException.class, () -> w.tensor("w")), "tensor 'w' is Q4_1", "Q8_0", "Q4_K", "Q6_K");
        }
    }

    /** Every fp16 scale position of every format, set to +Inf, -Inf and NaN in block 2: refused naming the tensor, the scale and the block. */
    @Test
    void nonFiniteScalesAreFound() {
        short[] bad = {0x7C00, (short) 0xFC00, 0x7E00, 0x7C01};
        for (DType t : GgmlBlocks.TYPES) {
            int[] scales = t == DType.Q4_K || t == DType.Q5_K ? new int[] {0, 2} : t == DType.Q6_K ? new int[] {208} : new int[] {0};
            for (int k = 0; k < scales.length; k++) {
                for (short h : bad) {
                    byte[] blocks = GgmlBlocks.random(t, 2, 2 * t.block, 3, 0.5f);
                    int at = 3 * t.bytes + scales[k]; // block 3 (row 1, second block)
                    blocks[at] = (byte) h;
                    blocks[at + 1] = (byte) (h >> 8);
                    try (GgufWeights w = GgufWeights.open(oneTensor(GgmlType.of(t), 2L * t.block, 2, blocks))) {
                        ShallowException e = assertThrows(ShallowException.class, w::requireFinite);
                        assertOneLine(e, "tensor 'w'", t.toString(), k == 0 ? "scale d " : "scale dmin", "block 3 ",
                                "elements " + 3 * t.block + " to " + (4 * t.block - 1));
                    }
                }
            }
        }
    }

    @Test
    void malformedQuantizedTensorsAreRefused() {
        // a row that is not whole blocks: 48 columns of Q8_0
        assertOneLine(assertThrows(ShallowException.class, () -> GgufWeights.open(oneTensor(GgmlType.Q8_0, 48, 2, new byte[102])).close()),
                "tensor 'w'", "ne[0] = 48 is not a multiple of the Q8_0 block size 32");
        // fewer bytes than the blocks need: 2 rows of one Q4_K block are 288 bytes
        assertOneLine(assertThrows(ShallowException.class, () -> GgufWeights.open(oneTensor(GgmlType.Q4_K, 256, 2, new byte[200])).close()),
                "tensor 'w'", "run past the end of the file");
    }

    /**
     * Q8_0 and Q4_K models against the same models decoded to F32: prefill (GEMM, each panel decoded exactly) and decode
     * steps (GEMV on the blocks, summed in another order) within 1e-4 of logits of magnitude about 1.
     */
    @Test
    void quantizedModelComputesTheDecodedModelsLogits() throws Exception {
        Path base = QuantizedModels.baseModel(tmp);
        int[] prompt = {1, 403, 407, 261, 378, 432, 383, 286};
        for (DType type : new DType[] {DType.Q8_0, DType.Q4_K}) {
            Path q = QuantizedModels.reencode(base, type, false, tmp.resolve(type + ".gguf")), f = QuantizedModels.reencode(base, type, true, tmp.resolve(type + "-f32.gguf"));
            try (Model mq = Model.load(q); Model mf = Model.load(f)) {
                Class<? extends Tensor> cls = type == DType.Q8_0 ? Q8_0Tensor.class : Q4KTensor.class;
                assertTrue(cls.isInstance(mq.layer(0).matrices().getFirst()), type + " matrices");
                assertEquals(DType.F32, mf.layer(0).matrices().getFirst().dtype());
                assertInstanceOf(QuantizedTensor.class, mq.embed());
                assertTrue(Files.size(q) < Files.size(f) / 3, "the quantized file is smaller");
                Transformer tq = new Transformer(mq), tf = new Transformer(mf);
                var cq = tq.newCache(prompt.length + 4);
                var cf = tf.newCache(prompt.length + 4);
                float[] lq = tq.forward(prompt, cq, true), lf = tf.forward(prompt, cf, true);
                assertClose(lf, lq, type + " prefill");
                Random rnd = new Random(1);
                for (int step = 0; step < 4; step++) {
                    int[] next = {rnd.nextInt(512)};
                    assertClose(tf.forward(next, cf, false), tq.forward(next, cq, false), type + " decode step " + step);
                }
            }
        }
    }

    static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        double max = 0;
        for (float v : want) max = Math.max(max, Math.abs(v));
        assertTrue(max > 1e-3, what + ": logits are not all about zero (" + max + ")");
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-4 * Math.max(1, max), what + " logit " + i);
    }
}
