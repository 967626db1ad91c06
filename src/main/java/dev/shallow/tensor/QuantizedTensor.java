package dev.shallow.tensor;

/**
 * A tensor in one of ggml's block formats ({@link DType#isQuantized}): its segment holds the raw blocks, each row a whole
 * number of them, decoded as {@link Quants} describes (exactly as ggml-quants.c's dequantize_row_*). Linear computes
 * with the blocks directly; {@link #copyTo} decodes whole blocks, L elements at a time.
 */
public sealed interface QuantizedTensor extends Tensor permits Q8_0Tensor, Q4_0Tensor, Q4KTensor, Q5KTensor, Q6KTensor {

    @Override
    default float get(long i) {
        int block = dtype().block;
        float[] b = new float[block];
        Quants.decode(Quants.kind(dtype()), segment(), i / block, 1, b, 0);
        return b[(int) (i % block)];
    }

    /** Whole blocks decoded straight into dst; a block only partly asked for is decoded aside and its part copied. */
    @Override
    default void copyTo(long from, float[] dst, int off, int n) {
        int block = dtype().block, kind = Quants.kind(dtype());
        long end = from + n;
        for (long i = from; i < end; ) {
            long b = i / block;
            int at = off + (int) (i - from), skip = (int) (i - b * block);
            if (skip == 0 && end - i >= block) {
                int whole = (int) ((end - i) / block);
                Quants.decode(kind, segment(), b, whole, dst, at);
                i += (long) whole * block;
            } else {
                float[] part = new float[block];
                Quants.decode(kind, segment(), b, 1, part, 0);
                int count = (int) Math.min(block - skip, end - i);
                System.arraycopy(part, skip, dst, at, count);
                i += count;
            }
        }
    }
}
