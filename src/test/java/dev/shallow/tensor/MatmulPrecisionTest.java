package dev.shallow.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class MatmulPrecisionTest {
    /**
     * The lane-wise rounding of an array (and its bf16 bits as oneDNN's source) gives, value for value, the bits of the scalar bfloat16 conversion: random bit
     * patterns (every exponent, NaNs with payloads, subnormals) and the edge cases (ties both ways, the largest floats that
     * round to infinity, infinities, signalling and quiet NaNs, signed zeros), in an array that is not a whole number of vectors.
     */
    @Test
    void bf16ArrayRoundingHasTheScalarBits() {
        int[] edges = {0, 0x80000000, 0x3F808000, 0x3F818000, 0x3F807FFF, 0x3F808001, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F7F7FFF,
                0x7F800000, 0xFF800000, 0x7F800001, 0x7FC00000, 0xFFFFFFFF, 0x7FBFFFFF, 0x00000001, 0x00008000, 0x00018000};
        SplittableRandom rnd = new SplittableRandom(7);
        float[] x = new float[10_000 + 3];
        for (int i = 0; i < x.length; i++) x[i] = Float.intBitsToFloat(i < edges.length ? edges[i] : rnd.nextInt());
        float[] r = MatmulPrecision.BF16.round(x, x.length);
        for (int i = 0; i < x.length; i++) {
            int expected = BF16Tensor.fromFloat(x[i]) << 16;
            assertEquals(expected, Float.floatToRawIntBits(r[i]), "bits " + Integer.toHexString(Float.floatToRawIntBits(x[i])));
        }
        assertSame(x, MatmulPrecision.F32.round(x, x.length), "f32 multiplies the activations as computed");
        MemorySegment shorts = MemorySegment.ofArray(new short[x.length]); // the bf16 source oneDNN multiplies
        BF16Tensor.fromFloats(x, x.length, shorts);
        for (int i = 0; i < x.length; i++) {
            assertEquals(BF16Tensor.fromFloat(x[i]), shorts.getAtIndex(BF16Tensor.LE, i), "bf16 of " + Integer.toHexString(Float.floatToRawIntBits(x[i])));
        }
    }
}
