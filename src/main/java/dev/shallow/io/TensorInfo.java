package dev.shallow.io;

import dev.shallow.tensor.DType;

/** One entry of a safetensors header: byte range [begin, end) relative to the data section. */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
