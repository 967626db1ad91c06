package dev.shallow.heal;

import dev.shallow.tensor.Parallel;

/**
 * How training computes its matrix products and keeps its residual checkpoints. Everything else
 * (norms, RoPE, attention, SwiGLU, cross-entropy) is the same code in double for both, so a
 * gradient check in FLOAT64 exercises the training code itself, only its three products swapped
 * for plain double loops.
 */
public enum Precision {
    /** Products in float32 on {@link dev.shallow.tensor.Matmul} (inputs rounded to float, then to its precision), checkpoints stored as float: for training. */
    FLOAT32 {
        @Override
        void project(double[] x, int n, Weight w, double[] y) {
            float[] out = new float[n * w.rows()];
            Gemm.project(FloatCopies.narrow(x, n * w.cols()), n, w, out);
            FloatCopies.widen(out, y);
        }

        @Override
        void backprop(double[] dy, int n, Weight w, double[] dx) {
            float[] out = new float[n * w.cols()];
            Gemm.backprop(FloatCopies.narrow(dy, n * w.rows()), n, w, out);
            FloatCopies.addScaled(out, 1, dx);
        }

        @Override
        void outer(double[] dy, double[] x, int n, int rows, int cols, double scale, double[] dW) {
            float[] out = new float[rows * cols];
            Gemm.outer(FloatCopies.narrow(dy, n * rows), FloatCopies.narrow(x, n * cols), n, rows, cols, out);
            FloatCopies.addScaled(out, scale, dW);
        }

        @Override
        int checkpointBytes() {
            return Float.BYTES;
        }
    },
    /** Every product in double from the weights widened to float (exactly): for gradient checks on small models. */
    FLOAT64 {
        @Override
        void project(double[] x, int n, Weight w, double[] y) {
            int rows = w.rows(), cols = w.cols();
            float[] wf = widen(w);
            Parallel.forEach(n, t -> {
                for (int r = 0; r < rows; r++) {
                    double s = 0;
                    for (int k = 0; k < cols; k++) s += x[t * cols + k] * wf[r * cols + k];
                    y[t * rows + r] = s;
                }
            });
        }

        @Override
        void backprop(double[] dy, int n, Weight w, double[] dx) {
            int rows = w.rows(), cols = w.cols();
            float[] wf = widen(w);
            Parallel.forEach(n, t -> {
                for (int r = 0; r < rows; r++) {
                    double g = dy[t * rows + r];
                    for (int k = 0; k < cols; k++) dx[t * cols + k] += g * wf[r * cols + k];
                }
            });
        }

        @Override
        void outer(double[] dy, double[] x, int n, int rows, int cols, double scale, double[] dW) {
            Parallel.forEach(rows, r -> {
                for (int t = 0; t < n; t++) {
                    double g = scale * dy[t * rows + r];
                    for (int k = 0; k < cols; k++) dW[r * cols + k] += g * x[t * cols + k];
                }
            });
        }

        @Override
        int checkpointBytes() {
            return Double.BYTES;
        }
    };

    /** y [n, rows] = x [n, cols] W^T. */
    abstract void project(double[] x, int n, Weight w, double[] y);

    /** dx [n, cols] += dy [n, rows] W. */
    abstract void backprop(double[] dy, int n, Weight w, double[] dx);

    /** dW [rows, cols] += scale * dy [n, rows]^T x [n, cols]. */
    abstract void outer(double[] dy, double[] x, int n, int rows, int cols, double scale, double[] dW);

    /** Bytes a residual checkpoint keeps per value. */
    abstract int checkpointBytes();

    private static float[] widen(Weight w) {
        float[] f = new float[Math.multiplyExact(w.rows(), w.cols())];
        w.copyTo(0, f, 0, f.length);
        return f;
    }
}
