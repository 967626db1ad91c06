package dev.shallow.tensor;

/** LayerNorm as in Phi-2: y = (x - mean) / sqrt(var + eps) * w + b per row, biased variance, in float. */
public final class LayerNorm {
    private LayerNorm() {
    }

    /** x and out [rows, dim] (out may be x). */
    public static void layernorm(float[] x, int rows, int dim, float[] w, float[] b, float eps, float[] out) {
        Parallel.forEach(rows, r -> {
            int o = r * dim;
            float sum = 0;
            for (int i = 0; i < dim; i++) sum += x[o + i];
            float mean = sum / dim, ss = 0;
            for (int i = 0; i < dim; i++) ss = Math.fma(x[o + i] - mean, x[o + i] - mean, ss);
            float inv = 1f / (float) Math.sqrt(ss / dim + eps); // 1 / sqrt(var + eps)
            for (int i = 0; i < dim; i++) out[o + i] = Math.fma((x[o + i] - mean) * inv, w[i], b[i]);
        });
    }
}
