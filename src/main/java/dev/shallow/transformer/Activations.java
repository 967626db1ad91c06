package dev.shallow.transformer;

import dev.shallow.tensor.Parallel;

/** The SwiGLU gate of the MLP (Shazeer 2020): g <- silu(g) * u, silu(g) = g / (1 + e^-g). */
final class Activations {
    private Activations() {
    }

    /**
     * In place over rows of [rows, dim]; each row is one task. Scalar Math.exp on purpose: the Vector
     * API's EXP gives different last bits interpreted and compiled, which would break determinism.
     */
    static void swiglu(float[] g, float[] u, int rows, int dim) {
        Parallel.forEach(rows, r -> {
            int off = r * dim;
            for (int i = 0; i < dim; i++) g[off + i] = g[off + i] / (1f + (float) Math.exp(-g[off + i])) * u[off + i];
        });
    }
}
