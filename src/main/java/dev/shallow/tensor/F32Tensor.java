package dev.shallow.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** IEEE float32 elements. */
public record F32Tensor(MemorySegment segment, long[] shape) implements Tensor {
    static final ValueLayout.OfFloat LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public DType dtype() {
        return DType.F32;
    }

    @Override
    public float get(long i) {
        return segment.getAtIndex(LE, i);
    }

    @Override
    public void copyTo(long from, float[] dst, int off, int n) {
        MemorySegment.copy(segment, LE, from * 4, dst, off, n);
    }
}
