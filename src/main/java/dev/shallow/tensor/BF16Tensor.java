package dev.shallow.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** bfloat16 elements: the upper 16 bits of a float32, so widening is a shift. */
public record BF16Tensor(MemorySegment segment, long[] shape) implements Tensor {
    static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Shorts as many as the floats of a vector. */
    private static final VectorSpecies<Short> SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(Math.max(64, Linear.S.vectorBitSize() / 2)));

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

    /**
     * {@link #fromFloat} lane-wise, the bf16 bits in the high half of each int: (b + 0x7FFF + bit 16 of b) (nearest even;
     * overflow to infinity), a NaN kept quiet as (b | 0x400000); the low half is not cleared.
     */
    static IntVector roundedHigh(FloatVector v) {
        IntVector b = v.reinterpretAsInts();
        return b.add(b.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF).blend(b.or(0x400000), v.test(VectorOperators.IS_NAN).cast(Linear.SI));
    }

    /** dst's shorts [0, n) = fromFloat(x[i]), little-endian, whole vectors in lanes. */
    static void fromFloats(float[] x, int n, MemorySegment dst) {
        int i = 0;
        for (int upper = Linear.S.loopBound(n); i < upper; i += Linear.L) {
            ((ShortVector) roundedHigh(FloatVector.fromArray(Linear.S, x, i)).lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, SHORTS, 0))
                    .intoMemorySegment(dst, 2L * i, ByteOrder.LITTLE_ENDIAN);
        }
        for (; i < n; i++) dst.set(LE, 2L * i, fromFloat(x[i]));
    }
}
