package dev.shallow.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** IEEE float16 elements. */
public record F16Tensor(MemorySegment segment, long[] shape) implements Tensor {
    static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public DType dtype() {
        return DType.F16;
    }

    @Override
    public float get(long i) {
        return Float.float16ToFloat(segment.getAtIndex(LE, i));
    }
}
