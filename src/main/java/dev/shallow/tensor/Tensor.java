package dev.shallow.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A dense row-major tensor over little-endian bytes (a view of a memory-mapped file or a heap
 * array): elements of a float dtype, or the blocks of a ggml block format ({@link QuantizedTensor}),
 * each row a whole number of blocks. One implementation per dtype, as in llama3.java; kernels
 * dispatch on the type.
 */
public sealed interface Tensor permits F32Tensor, BF16Tensor, F16Tensor, QuantizedTensor {

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
        long rowBytes = dtype().byteSize(cols);
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

    /** The tensor of {@code shape} over {@code segment}; a block format's rows must be whole blocks. */
    static Tensor of(DType dtype, MemorySegment segment, long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        if (shape.length > 0 && shape[shape.length - 1] % dtype.block != 0) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " and dtype " + dtype + " has rows of "
                    + shape[shape.length - 1] + " elements, not a whole number of blocks of " + dtype.block);
        }
        if (segment.byteSize() != dtype.byteSize(n)) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " and dtype " + dtype
                    + " needs " + dtype.byteSize(n) + " bytes, got " + segment.byteSize());
        }
        return switch (dtype) {
            case F32 -> new F32Tensor(segment, shape.clone());
            case BF16 -> new BF16Tensor(segment, shape.clone());
            case F16 -> new F16Tensor(segment, shape.clone());
            case Q8_0 -> new Q8_0Tensor(segment, shape.clone());
            case Q4_0 -> new Q4_0Tensor(segment, shape.clone());
            case Q4_K -> new Q4KTensor(segment, shape.clone());
            case Q5_K -> new Q5KTensor(segment, shape.clone());
            case Q6_K -> new Q6KTensor(segment, shape.clone());
            default -> throw new IllegalArgumentException("dtype " + dtype + " is not a supported weight type (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K)");
        };
    }

    /** A heap F32 tensor holding {@code data} (not copied). */
    static F32Tensor ofFloats(float[] data, long... shape) {
        return (F32Tensor) of(DType.F32, MemorySegment.ofArray(data), shape);
    }
}
