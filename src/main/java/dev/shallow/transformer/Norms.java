package dev.shallow.transformer;

/** RMSNorm: y = x / sqrt(mean(x^2) + eps) * w, row by row (Zhang & Sennrich 2019). */
final class Norms {
    private Norms() {
    }

    static void rmsnorm(float[] x, int rows, int dim, float[] w, float eps, float[] y) {
        for (int r = 0; r < rows; r++) {
            int off = r * dim;
            float ss = 0f;
            for (int i = 0; i < dim; i++) ss += x[off + i] * x[off + i];
            float inv = (float) (1.0 / Math.sqrt(ss / dim + eps));
            for (int i = 0; i < dim; i++) y[off + i] = x[off + i] * inv * w[i];
        }
    }
}
