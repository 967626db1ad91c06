package dev.shallow.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A dense row-major tensor over little-endian bytes (a view of a memory-mapped file or a heap
 * array). One implementation per dtype, as in llama3.java; kernels dispatch on the type.
 */
public sealed interface Tensor permits F32Tensor, BF16Tensor, F16Tensor {

    MemorySegment segment();

    long[] shape();

    DType dtype();

    /** Element {@code i} (row-major flat index), widened to float. */
    float get(long i);

    /** Number of elements. */
    default long size() {
        long n = 1;
        for (long d : shape()) n *= d;
        return n;
    }

    /** Rows of a 2-D tensor (out features of a linear weight). */
    default int rows() {
        return Math.toIntExact(shape()[0]);
    }

    /** Columns of a 2-D tensor (in features of a linear weight); the length of a 1-D tensor. */
    default int cols() {
        long[] s = shape();
        return Math.toIntExact(s[s.length - 1]);
    }

    /** Rows [from, from + count) of a 2-D tensor, a view of the same bytes (a block of a fused projection). */
    default Tensor rowBlock(int from, int count) {
        int cols = cols();
        if (from < 0 || count <= 0 || from + count > rows()) throw new IllegalArgumentException("rows " + from + " + " + count + " of " + rows());
        long rowBytes = (long) cols * dtype().bytes;
        return of(dtype(), segment().asSlice(from * rowBytes, count * rowBytes), new long[]{count, cols});
    }

    /** Copies elements [from, from + n) widened to F32 into {@code dst[off..off+n)}. */
    default void copyTo(long from, float[] dst, int off, int n) {
        for (int i = 0; i < n; i++) dst[off + i] = get(from + i);
    }

    /** All elements widened to F32 (for small tensors: norms, biases). */
    default float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(size())];
        copyTo(0, out, 0, out.length);
        return out;
    }

    static Tensor of(DType dtype, MemorySegment segment, long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        if (segment.byteSize() != n * dtype.bytes) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " and dtype " + dtype
                    + " needs " + n * dtype.bytes + " bytes, got " + segment.byteSize());
        }
        return switch (dtype) {
            case F32 -> new F32Tensor(segment, shape.clone());
            case BF16 -> new BF16Tensor(segment, shape.clone());
            case F16 -> new F16Tensor(segment, shape.clone());
            default -> throw new IllegalArgumentException("dtype " + dtype + " is not a supported weight type (F32, F16, BF16)");
        };
    }

    /** A heap F32 tensor holding {@code data} (not copied). */
    static F32Tensor ofFloats(float[] data, long... shape) {
        return (F32Tensor) of(DType.F32, MemorySegment.ofArray(data), shape);
    }
}
