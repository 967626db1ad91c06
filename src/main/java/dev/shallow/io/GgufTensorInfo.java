package dev.shallow.io;

/**
 * One tensor of a GGUF file: its dimensions {@code ne} as ggml lists them (ne[0], the fastest-varying, first:
 * the row-major shape reversed), its type, and its byte range [offset, offset + bytes) relative to the data section.
 */
public record GgufTensorInfo(String name, long[] ne, GgmlType type, long offset, long bytes) {
    public long elements() {
        long n = 1;
        for (long d : ne) n *= d;
        return n;
    }

    /** The row-major shape: ne reversed. */
    public long[] shape() {
        long[] shape = new long[ne.length];
        for (int i = 0; i < shape.length; i++) shape[i] = ne[ne.length - 1 - i];
        return shape;
    }

    public long end() {
        return offset + bytes;
    }
}
