package dev.shallow.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** ggml's block_q8_0 (int8 quants, one fp16 scale d per 32: x = d * q), see {@link Quants}; and its quantizer. */
public record Q8_0Tensor(MemorySegment segment, long[] shape) implements QuantizedTensor {
    /** Elements per block (ggml-common.h QK8_0). */
    public static final int BLOCK = 32;
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public DType dtype() {
        return DType.Q8_0;
    }

    /**
     * Quantizes src[srcOff, srcOff + n) (n a multiple of 32) into n / 32 blocks of 34 bytes at dst[dstOff ..], bit for bit
     * as ggml-quants.c quantize_row_q8_0_ref: per block amax = max |x|, d = amax / 127, id = d != 0 ? 1 / d : 0 (from the
     * float d), d stored as fp16 rounded to nearest even (GGML_FP32_TO_FP16), q = roundf(x * id) (half away from zero).
     * A d above the fp16 range is stored as infinity, as ggml does (such a tensor is then refused on load); a block whose
     * amax is below 127 / FLT_MAX gets 1 / d = infinity and quants 0, as ggml compiled for x86 gives.
     *
     * @throws IllegalArgumentException if n is not a multiple of 32 or a value is NaN or infinite
     */
    public static void quantize(float[] src, int srcOff, int n, MemorySegment dst, long dstOff) {
        if (n % BLOCK != 0) throw new IllegalArgumentException(n + " values are not a whole number of Q8_0 blocks of " + BLOCK);
        for (int b = 0; b < n / BLOCK; b++) {
            int from = srcOff + b * BLOCK;
            float amax = 0f;
            for (int j = 0; j < BLOCK; j++) {
                float v = src[from + j];
                if (!Float.isFinite(v)) throw new IllegalArgumentException("value " + (from + j) + " is " + v + "; Q8_0 quantizes finite values");
                amax = Math.max(amax, Math.abs(v));
            }
            float d = amax / 127, id = d != 0 ? 1f / d : 0f;
            long at = dstOff + (long) b * DType.Q8_0.bytes;
            dst.set(F16, at, Float.floatToFloat16(d));
            for (int j = 0; j < BLOCK; j++) dst.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) roundf(src[from + j] * id));
        }
    }

    /**
     * C's roundf (to the nearest integer, halfway cases away from zero; exact in double for every float), then C's
     * conversion to int as x86 performs it (cvttss2si): a value out of the int range, or NaN, is 0x80000000, whose low
     * byte is 0. That happens only when amax is below 127 / FLT_MAX, where 1 / d overflows to infinity.
     */
    static int roundf(float v) {
        double r = Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
        return Math.abs(r) < 0x1p31 ? (int) r : Integer.MIN_VALUE;
    }
}
