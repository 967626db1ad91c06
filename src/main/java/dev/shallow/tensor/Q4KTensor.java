package dev.shallow.tensor;

import java.lang.foreign.MemorySegment;

/** ggml's block_q4_K (Q4_K_M files' main type: 4-bit quants, 6-bit scales and mins per 32, fp16 d and dmin per 256): see {@link Quants}. */
public record Q4KTensor(MemorySegment segment, long[] shape) implements QuantizedTensor {
    @Override
    public DType dtype() {
        return DType.Q4_K;
    }
}
