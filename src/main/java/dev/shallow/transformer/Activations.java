package dev.shallow.transformer;

import dev.shallow.tensor.Parallel;
import dev.shallow.tensor.VectorMath;

/** The SwiGLU gate of the MLP (Shazeer 2020): g <- silu(g) * u, silu(g) = g / (1 + e^-g). */
final class Activations {
    private Activations() {
    }

    /** In place over rows of [rows, dim]; each row is one task. */
    static void swiglu(float[] g, float[] u, int rows, int dim) {
        Parallel.forEach(rows, r -> VectorMath.swiglu(g, u, r * dim, dim));
    }
}
