package dev.shallow.tensor;

import java.lang.foreign.MemorySegment;

/** ggml's block_q4_0 (4-bit quants, one fp16 scale per 32): see {@link Quants}. */
public record Q4_0Tensor(MemorySegment segment, long[] shape) implements QuantizedTensor {
    @Override
    public DType dtype() {
        return DType.Q4_0;
    }
}
