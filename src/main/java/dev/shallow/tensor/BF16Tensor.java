package dev.shallow.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** bfloat16 elements: the upper 16 bits of a float32, so widening is a shift. */
public record BF16Tensor(MemorySegment segment, long[] shape) implements Tensor {
    static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public DType dtype() {
        return DType.BF16;
    }

    @Override
    public float get(long i) {
        return toFloat(segment.getAtIndex(LE, i));
    }

    /** bf16 bits -> float32: the bits become the high half. */
    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** float32 -> bf16 bits, rounded to nearest even (NaN kept quiet). */
    public static short fromFloat(float f) {
        int x = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((x >>> 16) | 0x40);
        return (short) ((x + 0x7FFF + ((x >>> 16) & 1)) >>> 16);
    }
}
