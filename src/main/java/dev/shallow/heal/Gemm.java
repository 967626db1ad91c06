package dev.shallow.heal;

import dev.shallow.tensor.Matmul;
import dev.shallow.tensor.Parallel;
import dev.shallow.tensor.Tensor;

/**
 * The float32 products of training, all on {@link Matmul} (the backend inference runs on): y = x W^T, dx = dy W and
 * dW = dy^T x. Weights that are not stored as a dense tensor (NF4), and the transposed or
 * column-sliced operands, are materialised a panel of about {@link #PANEL_FLOATS} floats at a time,
 * so a product reads each weight once and holds at most one panel beside it.
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
                int panel = Math.max(1, Math.min(rows, PANEL_FLOATS / cols));
                for (int r0 = 0; r0 < rows; r0 += panel) {
                    int m = Math.min(panel, rows - r0), first = r0;
                    float[] rowsOfW = new float[m * cols];
                    Parallel.forEach((m + FILL_ROWS - 1) / FILL_ROWS, task -> {
                        int a = task * FILL_ROWS, b = Math.min(m, a + FILL_ROWS);
                        q.copyTo((long) (first + a) * cols, rowsOfW, a * cols, (b - a) * cols);
                    });
                    float[] part = m == rows ? y : new float[n * m];
                    Matmul.multiply(x, n, Tensor.ofFloats(rowsOfW, m, cols), part);
                    if (part != y) for (int t = 0; t < n; t++) System.arraycopy(part, t * m, y, t * rows + r0, m);
                }
            }
        }
    }

    /** dx [n, cols] = dy [n, rows] W, as y = dy M^T with M = W[:, k0:k1]^T per panel of columns. */
    static void backprop(float[] dy, int n, Weight w, float[] dx) {
        int rows = w.rows(), cols = w.cols();
        int panel = Math.max(1, Math.min(cols, PANEL_FLOATS / rows));
        for (int k0 = 0; k0 < cols; k0 += panel) {
            int m = Math.min(panel, cols - k0), first = k0;
            float[] wt = new float[m * rows];
            Parallel.forEach((rows + FILL_ROWS - 1) / FILL_ROWS, task -> {
                float[] row = new float[m];
                for (int r = task * FILL_ROWS; r < Math.min(rows, (task + 1) * FILL_ROWS); r++) {
                    w.copyTo((long) r * cols + first, row, 0, m);
                    for (int k = 0; k < m; k++) wt[k * rows + r] = row[k];
                }
            });
            float[] part = m == cols ? dx : new float[n * m];
            Matmul.multiply(dy, n, Tensor.ofFloats(wt, m, rows), part);
            if (part != dx) for (int t = 0; t < n; t++) System.arraycopy(part, t * m, dx, t * cols + k0, m);
        }
    }

    /** dW [rows, cols] = dy [n, rows]^T x [n, cols], as y = dy^T M^T with M = x^T (an activation: rounded to the precision too). */
    static void outer(float[] dy, float[] x, int n, int rows, int cols, float[] dW) {
        float[] xt = Matmul.precision().round(transpose(x, n, cols), n * cols);
        Matmul.multiply(transpose(dy, n, rows), rows, Tensor.ofFloats(xt, cols, n), dW);
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
