package dev.shallow.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The product of a linear layer: y[t, r] = sum_k x[t, k] * W[r, k] + b[r] (nn.Linear, y = x W^T + b)
 * for T tokens, W of shape [rows, cols] in any weight dtype, x and y in F32.
 */
public final class Linear {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int ROW_BLOCK = 16;

    private Linear() {
    }

    /**
     * @param x      [tokens, cols] row-major
     * @param w      [rows, cols]
     * @param bias   [rows] or null
     * @param y      [tokens, rows] row-major, overwritten
     */
    public static void apply(float[] x, int tokens, Tensor w, float[] bias, float[] y) {
        int rows = w.rows(), cols = w.cols();
        int blocks = (rows + ROW_BLOCK - 1) / ROW_BLOCK;
        Parallel.forEach(blocks, b -> {
            float[] row = new float[cols];
            int r1 = Math.min(rows, (b + 1) * ROW_BLOCK);
            for (int r = b * ROW_BLOCK; r < r1; r++) {
                w.copyTo((long) r * cols, row, 0, cols);
                float add = bias == null ? 0f : bias[r];
                for (int t = 0; t < tokens; t++) {
                    y[t * rows + r] = dot(x, t * cols, row, 0, cols) + add;
                }
            }
        });
    }

    /** sum_i a[ao + i] * b[bo + i] for i in [0, n), vectorised with a fixed reduction order. */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0, upper = S.loopBound(n);
        for (; i < upper; i += S.length()) {
            acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /** y[yo + i] += a * x[xo + i] for i in [0, n). */
    public static void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector av = FloatVector.broadcast(S, a);
        int i = 0, upper = S.loopBound(n);
        for (; i < upper; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).fma(av, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += a * x[xo + i];
    }
}
