package dev.shallow.heal;

import dev.shallow.tensor.Parallel;

/** RMSNorm and its gradient, per token row, in double: y = w * x * inv, inv = 1 / sqrt(mean(x^2) + eps). */
final class Norm {
    private Norm() {
    }

    /** y [n, dim] and inv [n] from x [n, dim]. */
    static void forward(double[] x, int n, int dim, float[] w, double eps, double[] y, double[] inv) {
        Parallel.forEach(n, t -> {
            int o = t * dim;
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += x[o + i] * x[o + i];
            double r = inv[t] = 1 / Math.sqrt(ss / dim + eps);
            for (int i = 0; i < dim; i++) y[o + i] = w[i] * x[o + i] * r;
        });
    }

    /**
     * dx += (g - xhat * mean(g * xhat)) * inv with g = dy * w, xhat = x * inv; and, when dw is not
     * null, dw += sum over tokens of dy * xhat.
     */
    static void backward(double[] x, int n, int dim, float[] w, double[] inv, double[] dy, double[] dx, double[] dw) {
        Parallel.forEach(n, t -> {
            int o = t * dim;
            double r = inv[t], dot = 0;
            for (int i = 0; i < dim; i++) dot += dy[o + i] * w[i] * x[o + i] * r; // sum g * xhat
            double mean = dot / dim;
            for (int i = 0; i < dim; i++) dx[o + i] += (dy[o + i] * w[i] - x[o + i] * r * mean) * r; // dx = (g - xhat * mean(g*xhat)) * inv
        });
        if (dw == null) return;
        Parallel.forEach(dim, i -> {
            double s = 0;
            for (int t = 0; t < n; t++) s += dy[t * dim + i] * x[t * dim + i] * inv[t]; // dw = sum_t dy * xhat
            dw[i] += s;
        });
    }
}
