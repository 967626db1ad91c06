package dev.shallow.heal;

import dev.shallow.tensor.Tensor;

/**
 * A frozen weight read as stored in the checkpoint, a view of the mapped file: F32, F16, BF16, or a GGUF block format
 * (Q8_0, Q4_K, ...: QLoRA over the file's own quantization, each row decoded as it is read).
 */
public record DenseWeight(Tensor tensor) implements Weight {
    public DenseWeight {
        if (tensor.shape().length != 2) throw new IllegalArgumentException("a weight matrix must be 2-D, got " + java.util.Arrays.toString(tensor.shape()));
    }

    @Override
    public int rows() {
        return tensor.rows();
    }

    @Override
    public int cols() {
        return tensor.cols();
    }

    @Override
    public void copyTo(long from, float[] dst, int off, int n) {
        tensor.copyTo(from, dst, off, n);
    }
}
