package dev.shallow.heal;

/**
 * A weight matrix W [rows, cols], row-major, as training reads it: a frozen base weight (a
 * checkpoint tensor or its NF4 quantization) or a trainable LoRA matrix.
 */
public sealed interface Weight permits DenseWeight, Nf4Tensor, Param {
    int rows();

    int cols();

    /** Elements [from, from + n) of the row-major matrix, widened or dequantized to float, into dst[off ..]. */
    void copyTo(long from, float[] dst, int off, int n);
}
