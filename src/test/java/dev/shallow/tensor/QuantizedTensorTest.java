package dev.shallow.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Each block format decodes exactly as ggml defines it: blocks built byte by byte here (scales at their extremes, quants
 * at both bounds, high bits set) decoded by the tensor types (get, copyTo at any offset, toFloatArray, row blocks) and
 * compared bit for bit with {@link GgmlBlocks#dequantize}, a scalar decoder written separately from ggml-quants.c.
 */
class QuantizedTensorTest {
    /** fp16 scales worth testing: max, -max, smallest subnormal, a subnormal, 1, -1, +0, -0, 2^-14 (smallest normal). */
    static final short[] HALVES = {0x7BFF, (short) 0xFBFF, 0x0001, 0x03FF, 0x3C00, (short) 0xBC00, 0x0000, (short) 0x8000, 0x0400};

    /** Blocks of t: the first all bytes 0xFF (quants and 6-bit scales at their top, every high bit set), the second all 0x00, the rest random; each fp16 scale cycling through HALVES. */
    static byte[] extremeBlocks(DType t, int blocks, long seed) {
        byte[] b = new byte[blocks * t.bytes];
        new Random(seed).nextBytes(b);
        java.util.Arrays.fill(b, 0, t.bytes, (byte) 0xFF);
        java.util.Arrays.fill(b, t.bytes, 2 * t.bytes, (byte) 0);
        int k = 0;
        for (int o = 0; o < b.length; o += t.bytes) {
            for (int h : GgmlBlocks.halves(t)) GgmlBlocks.putHalf(b, o + h, HALVES[k++ % HALVES.length]);
        }
        return b;
    }

    static void assertBits(float want, float got, String what) {
        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), what + ": want " + want + ", got " + got);
    }

    @Test
    void everyFormatDecodesAsGgml() {
        for (DType t : GgmlBlocks.TYPES) {
            int rows = 3, perRow = 4, cols = perRow * t.block;
            byte[] b = extremeBlocks(t, rows * perRow, 17 + t.ordinal());
            float[] want = GgmlBlocks.dequantize(t, b);
            Tensor w = GgmlBlocks.tensor(t, b, rows, cols);
            assertTrue(w instanceof QuantizedTensor, t + " is a quantized type");
            assertEquals(t, w.dtype());
            float[] all = w.toFloatArray();
            for (int i = 0; i < want.length; i++) {
                assertBits(want[i], all[i], t + " toFloatArray element " + i);
                assertBits(want[i], w.get(i), t + " get " + i);
            }
            // copyTo from unaligned starts, through partial blocks at both ends
            Random rnd = new Random(5);
            for (int trial = 0; trial < 20; trial++) {
                int from = rnd.nextInt(want.length), n = rnd.nextInt(want.length - from + 1);
                float[] dst = new float[n + 3];
                w.copyTo(from, dst, 3, n);
                for (int i = 0; i < n; i++) assertBits(want[from + i], dst[3 + i], t + " copyTo(" + from + ", " + n + ") element " + i);
            }
            Tensor row = w.rowBlock(1, 2);
            assertEquals(t, row.dtype());
            assertEquals(2L * cols, row.size());
            assertEquals(t.byteSize(2L * cols), row.segment().byteSize());
            for (int i = 0; i < 2 * cols; i++) assertBits(want[cols + i], row.get(i), t + " rowBlock element " + i);
        }
    }

    /** The extremes named one by one: the all-0xFF and all-0x00 blocks decode to the values the struct definitions give. */
    @Test
    void extremesGiveTheirValues() {
        byte[] q8 = new byte[34];
        GgmlBlocks.putHalf(q8, 0, (short) 0x7BFF); // d = 65504, fp16 max
        q8[2] = 127;
        q8[3] = -128;
        Tensor w = GgmlBlocks.tensor(DType.Q8_0, q8, 1, 32);
        assertEquals(127 * 65504f, w.get(0));
        assertEquals(-128 * 65504f, w.get(1));
        assertEquals(0f, w.get(2));

        byte[] q6 = new byte[210];
        java.util.Arrays.fill(q6, (byte) 0xFF); // q = 63 - 32 = 31, scales -1
        GgmlBlocks.putHalf(q6, 208, (short) 0x0001); // d = 2^-24, the smallest subnormal
        float d = 0x1p-24f;
        assertEquals(d * -1 * 31, GgmlBlocks.tensor(DType.Q6_K, q6, 1, 256).get(255));

        byte[] q5 = new byte[176];
        java.util.Arrays.fill(q5, (byte) 0xFF); // sc = m = 63, q = 15 + 16
        GgmlBlocks.putHalf(q5, 0, (short) 0x3C00); // d = 1
        GgmlBlocks.putHalf(q5, 2, (short) 0xBC00); // dmin = -1
        assertEquals(63f * 31 - (-63f), GgmlBlocks.tensor(DType.Q5_K, q5, 1, 256).get(100));

        byte[] q4 = new byte[144]; // all zero: sc = m = 0, q = 0
        GgmlBlocks.putHalf(q4, 0, (short) 0x3C00);
        assertEquals(0f, GgmlBlocks.tensor(DType.Q4_K, q4, 1, 256).get(7));

        byte[] q40 = new byte[18];
        GgmlBlocks.putHalf(q40, 0, (short) 0xBC00); // d = -1: q - 8 in [-8, 7] times -1
        q40[2] = (byte) 0xF0; // element 0: 0 - 8, element 16: 15 - 8
        Tensor w40 = GgmlBlocks.tensor(DType.Q4_0, q40, 1, 32);
        assertEquals(8f, w40.get(0));
        assertEquals(-7f, w40.get(16));
    }

    @Test
    void shapesThatAreNotWholeBlocksAreRefused() {
        for (DType t : GgmlBlocks.TYPES) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Tensor.of(t, MemorySegment.ofArray(new byte[t.bytes * 2]), new long[] {2 * t.block, 1}));
            assertTrue(e.getMessage().contains("whole number of blocks"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Tensor.of(t, MemorySegment.ofArray(new byte[t.bytes + 1]), new long[] {1, t.block}));
        }
    }

    @Test
    void blockFormatsAreNoSafetensorsDtype() {
        for (DType t : GgmlBlocks.TYPES) {
            assertTrue(DType.parse(t.name()).isEmpty(), t + " must not parse as a safetensors dtype");
            assertTrue(t.isQuantized());
        }
        assertEquals(DType.BF16, DType.parse("BF16").orElseThrow());
    }
}
