package dev.shallow.tensor;

/**
 * An engine for the GEMM y_i = x W_i^T + b_i (nn.Linear over a batch of tokens), and for x W: the Vector API
 * kernels ({@link VectorGemm}) or oneDNN's matmul ({@link OneDnnGemm}). {@link Matmul} chooses one per
 * call; inference ({@link Linear}) and training (heal's products) both go through it.
 */
public sealed interface MatmulBackend permits VectorGemm, OneDnnGemm {
    /** A short name for info and bench lines (e.g. "Vector API 512-bit", "oneDNN 3.8.1"). */
    String name();

    /**
     * y_i [tokens, rows_i] = round(x) [tokens, cols] W_i^T + b_i for every i (all W_i with the same cols),
     * accumulated in float32; shapes already checked by the caller.
     */
    void gemm(float[] x, int tokens, Tensor[] ws, float[][] biases, float[][] ys, MatmulPrecision precision);

    /** y [tokens, cols] = round(x) [tokens, rows] W, W [rows, cols] as stored (training's dx = dy W), accumulated in float32. */
    void gemmUntransposed(float[] x, int tokens, Tensor w, float[] y, MatmulPrecision precision);
}
