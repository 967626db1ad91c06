package dev.shallow.heal;

import dev.shallow.tensor.Matmul;
import dev.shallow.tensor.Parallel;
import dev.shallow.tensor.Tensor;

/**
 * The float32 products of training, all on {@link Matmul} (the backend inference runs on): y = x W^T, dx = dy W
 * (W read as stored, not transposed) and dW = dy^T x. NF4 weights are dequantized a panel of about
 * {@link #PANEL_FLOATS} floats at a time, so a product reads each weight once and holds at most one panel beside it.
 */
final class Gemm {
    /** Floats per materialised panel (4 MiB). */
    static final int PANEL_FLOATS = 1 << 20;
    /** Rows per task when filling a panel. */
    private static final int FILL_ROWS = 64;

    private Gemm() {
    }

    /** y [n, rows] = x [n, cols] W^T. */
    static void project(float[] x, int n, Weight w, float[] y) {
        int rows = w.rows(), cols = w.cols();
        switch (w) {
            case DenseWeight d -> Matmul.multiply(x, n, d.tensor(), y);
            case Param p -> Matmul.multiply(x, n, Tensor.ofFloats(p.value(), rows, cols), y);
            case Nf4Tensor q -> {
                int panel = panelRows(q);
                for (int r0 = 0; r0 < rows; r0 += panel) {
                    int m = Math.min(panel, rows - r0);
                    float[] part = m == rows ? y : new float[n * m];
                    Matmul.multiply(x, n, rowsOf(q, r0, m), part);
                    if (part != y) for (int t = 0; t < n; t++) System.arraycopy(part, t * m, y, t * rows + r0, m);
                }
            }
        }
    }

    /** dx [n, cols] = dy [n, rows] W, W read as stored (an NF4 weight a panel of rows at a time, their products summed). */
    static void backprop(float[] dy, int n, Weight w, float[] dx) {
        int rows = w.rows(), cols = w.cols();
        switch (w) {
            case DenseWeight d -> Matmul.multiplyUntransposed(dy, n, d.tensor(), dx);
            case Param p -> Matmul.multiplyUntransposed(dy, n, Tensor.ofFloats(p.value(), rows, cols), dx);
            case Nf4Tensor q -> {
                int panel = panelRows(q);
                float[] part = rows <= panel ? dx : new float[n * cols];
                for (int r0 = 0; r0 < rows; r0 += panel) {
                    int m = Math.min(panel, rows - r0);
                    float[] dyPart = new float[n * m];
                    for (int t = 0; t < n; t++) System.arraycopy(dy, t * rows + r0, dyPart, t * m, m);
                    Matmul.multiplyUntransposed(dyPart, n, rowsOf(q, r0, m), part); // dy[:, r0:r0+m] W[r0:r0+m, :]
                    if (part == dx) continue;
                    if (r0 == 0) System.arraycopy(part, 0, dx, 0, n * cols);
                    else for (int i = 0; i < n * cols; i++) dx[i] += part[i];
                }
            }
        }
    }

    /** dW [rows, cols] = dy [n, rows]^T x [n, cols], as y = dy^T x with x the stored operand (an activation: rounded to the precision too). */
    static void outer(float[] dy, float[] x, int n, int rows, int cols, float[] dW) {
        float[] xr = Matmul.precision().round(x, n * cols);
        Matmul.multiplyUntransposed(transpose(dy, n, rows), rows, Tensor.ofFloats(xr, n, cols), dW);
    }

    /** Rows of an NF4 weight per materialised panel. */
    private static int panelRows(Nf4Tensor q) {
        return Math.max(1, Math.min(q.rows(), PANEL_FLOATS / q.cols()));
    }

    /** Rows [r0, r0 + m) of an NF4 weight dequantized to a float32 tensor [m, cols]. */
    private static Tensor rowsOf(Nf4Tensor q, int r0, int m) {
        int cols = q.cols();
        float[] rowsOfW = new float[m * cols];
        Parallel.forEach((m + FILL_ROWS - 1) / FILL_ROWS, task -> {
            int a = task * FILL_ROWS, b = Math.min(m, a + FILL_ROWS);
            q.copyTo((long) (r0 + a) * cols, rowsOfW, a * cols, (b - a) * cols);
        });
        return Tensor.ofFloats(rowsOfW, m, cols);
    }

    /** a [n, m] -> [m, n]. */
    private static float[] transpose(float[] a, int n, int m) {
        float[] t = new float[n * m];
        Parallel.forEach(m, j -> {
            for (int i = 0; i < n; i++) t[j * n + i] = a[i * m + j];
        });
        return t;
    }
}
