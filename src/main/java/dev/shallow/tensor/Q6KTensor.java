package dev.shallow.tensor;

import java.lang.foreign.MemorySegment;

/** ggml's block_q6_K (6-bit quants, int8 scales per 16, fp16 d per 256): see {@link Quants}. */
public record Q6KTensor(MemorySegment segment, long[] shape) implements QuantizedTensor {
    @Override
    public DType dtype() {
        return DType.Q6_K;
    }
}
