package dev.shallow.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Q8_0Tensor.quantize against ggml's quantize_row_q8_0_ref computed here from its formula, with ggml's own fp32 -> fp16
 * conversion (ggml-impl.h ggml_compute_fp32_to_fp16, written out below) and roundf as BigDecimal's HALF_UP (half away
 * from zero), so neither shares code with the implementation; and the round trip through the Q8_0 decoder.
 */
class Q8_0QuantizerTest {

    /** ggml_compute_fp32_to_fp16 (ggml-impl.h, from the FP16 library): round to nearest even, NaN to 0x7E00. */
    static short ggmlFp16(float f) {
        float scaleToInf = Float.intBitsToFloat(0x77800000), scaleToZero = Float.intBitsToFloat(0x08800000);
        float base = (Math.abs(f) * scaleToInf) * scaleToZero;
        int w = Float.floatToRawIntBits(f), shl1 = w + w, sign = w & 0x80000000;
        int bias = shl1 & 0xFF000000;
        if (Integer.compareUnsigned(bias, 0x71000000) < 0) bias = 0x71000000;
        base = Float.intBitsToFloat((bias >>> 1) + 0x07800000) + base;
        int bits = Float.floatToRawIntBits(base);
        int expBits = (bits >>> 13) & 0x7C00, mantissa = bits & 0x0FFF;
        return (short) ((sign >>> 16) | (Integer.compareUnsigned(shl1, 0xFF000000) > 0 ? 0x7E00 : expBits + mantissa));
    }

    /** quantize_row_q8_0_ref for one block of 32 at x[off ..]: the 34 bytes it writes. */
    static byte[] ggmlBlock(float[] x, int off) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[off + j])); // MAX(amax, fabsf(v)) for finite v
        float d = amax / ((1 << 7) - 1);
        float id = d != 0 ? 1.0f / d : 0.0f;
        byte[] b = new byte[34];
        short h = ggmlFp16(d);
        b[0] = (byte) h;
        b[1] = (byte) (h >> 8);
        for (int j = 0; j < 32; j++) {
            float x0 = x[off + j] * id;
            // (int8_t) roundf(x0); x86 converts an infinity or NaN (id infinite: d below 1 / FLT_MAX) to 0x80000000, low byte 0
            b[2 + j] = Float.isFinite(x0) ? (byte) new BigDecimal(x0).setScale(0, RoundingMode.HALF_UP).intValue() : 0;
        }
        return b;
    }

    static byte[] quantize(float[] x) {
        byte[] out = new byte[x.length / 32 * 34];
        Q8_0Tensor.quantize(x, 0, x.length, MemorySegment.ofArray(out), 0);
        return out;
    }

    static float[] block(float fill, float... first) {
        float[] x = new float[32];
        java.util.Arrays.fill(x, fill);
        System.arraycopy(first, 0, x, 0, first.length);
        return x;
    }

    /** Hand-made blocks: amax at a positive and at a negative value, all zeros, halves, huge and tiny values, fp16 ties. */
    @Test
    void handMadeBlocksGiveGgmlsBytes() {
        float[][] blocks = {
                block(0.01f, 3f, -1f, 0.5f, -0.25f),
                block(-0.3f, -5f, 4.99f, 0.02f),
                block(0f),
                block(0f, 127f, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 126.5f, -126.5f, 63.5f), // d = 1: every x.5 rounds away from zero
                block(1f, Float.MAX_VALUE, -3e38f, 1e38f), // d above the fp16 range: stored as infinity
                block(1e-40f, -1e-39f), // subnormal floats: d is a subnormal float, 1 / d infinity, fp16 d 0
                block(0f, 1e-45f), // d = 1e-45 / 127 underflows to 0: id = 0
                block(1e-6f, 1.27e-3f), // d = 1e-5, an fp16 subnormal
                block(0.1f, 127f * (1 + 0x1p-11f)), // d = 1 + 2^-11, a tie between two fp16 values: to even (1)
                block(0.1f, 127f * (1 + 3 * 0x1p-11f)), // d = 1 + 3 2^-11: to even (1 + 2^-9)
        };
        for (int i = 0; i < blocks.length; i++) {
            assertArrayEquals(ggmlBlock(blocks[i], 0), quantize(blocks[i]), "block " + i);
        }
        byte[] zeros = quantize(blocks[2]);
        for (byte b : zeros) assertEquals(0, b, "all zeros quantize to zero bytes");
        byte[] halves = quantize(blocks[3]);
        assertEquals(0x3C00, (halves[0] & 0xFF) | (halves[1] & 0xFF) << 8, "d = 1");
        assertArrayEquals(new byte[] {127, 1, -1, 2, -2, 3, -3, 127, -127, 64}, java.util.Arrays.copyOfRange(halves, 2, 12));
        byte[] huge = quantize(blocks[4]);
        assertEquals(0x7C00, (huge[0] & 0xFF) | (huge[1] & 0xFF) << 8, "d over 65504 is infinity in fp16");
        assertEquals(127, huge[2]);
    }

    /** Random rows of several blocks at offsets in src and dst: each block as ggml writes it, and nothing else written. */
    @Test
    void rowsAtOffsetsMatchGgmlBlockByBlock() {
        Random rnd = new Random(3);
        for (int trial = 0; trial < 50; trial++) {
            int blocks = 1 + rnd.nextInt(6), srcOff = rnd.nextInt(5), dstOff = rnd.nextInt(7);
            float scale = (float) Math.pow(10, rnd.nextInt(9) - 6);
            float[] src = new float[srcOff + 32 * blocks];
            for (int i = 0; i < src.length; i++) src[i] = (float) rnd.nextGaussian() * scale;
            byte[] dst = new byte[dstOff + 34 * blocks + 3];
            java.util.Arrays.fill(dst, (byte) 0x5A);
            Q8_0Tensor.quantize(src, srcOff, 32 * blocks, MemorySegment.ofArray(dst), dstOff);
            for (int b = 0; b < blocks; b++) {
                assertArrayEquals(ggmlBlock(src, srcOff + 32 * b), java.util.Arrays.copyOfRange(dst, dstOff + 34 * b, dstOff + 34 * (b + 1)), "trial " + trial + " block " + b);
            }
            for (int i = 0; i < dstOff; i++) assertEquals(0x5A, dst[i]);
            for (int i = dstOff + 34 * blocks; i < dst.length; i++) assertEquals(0x5A, dst[i]);
        }
    }

    /**
     * Decoding gives back each value within d/2 (the rounding of x / d to an integer) plus 127 |d - fp16(d)| (d stored
     * rounded) plus float rounding of x * id and q * d (1e-6 of amax).
     */
    @Test
    void roundTripIsWithinHalfAStep() {
        Random rnd = new Random(4);
        int rows = 5, cols = 256;
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextGaussian()));
        byte[] q = quantize(x);
        float[] back = Tensor.of(DType.Q8_0, MemorySegment.ofArray(q), new long[] {rows, cols}).toFloatArray();
        for (int b = 0; b < x.length / 32; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * b + j]));
            float d = amax / 127, d16 = Float.float16ToFloat(ggmlFp16(d));
            double tol = 0.5 * d + 127 * Math.abs(d - d16) + 1e-6 * amax;
            for (int j = 0; j < 32; j++) {
                int i = 32 * b + j;
                assertTrue(Math.abs(back[i] - x[i]) <= tol, "element " + i + ": " + x[i] + " came back as " + back[i] + " (tolerance " + tol + ")");
            }
        }
    }

    @Test
    void refusesPartialBlocksAndNonFiniteValues() {
        MemorySegment dst = MemorySegment.ofArray(new byte[68]);
        assertThrows(IllegalArgumentException.class, () -> Q8_0Tensor.quantize(new float[40], 0, 40, dst, 0));
        float[] nan = new float[32];
        nan[7] = Float.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Q8_0Tensor.quantize(nan, 0, 32, dst, 0));
        assertTrue(e.getMessage().contains("value 7"), e.getMessage());
        float[] inf = new float[32];
        inf[31] = Float.NEGATIVE_INFINITY;
        assertThrows(IllegalArgumentException.class, () -> Q8_0Tensor.quantize(inf, 0, 32, dst, 0));
    }
}
