package dev.shallow.transformer;

import dev.shallow.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The SwiGLU gate of the MLP (Shazeer 2020): g <- silu(g) * u, silu(g) = g / (1 + e^-g). */
final class Activations {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Activations() {
    }

    /** In place over rows of [rows, dim]; each row is one task. */
    static void swiglu(float[] g, float[] u, int rows, int dim) {
        Parallel.forEach(rows, r -> {
            int off = r * dim, i = 0;
            for (int upper = S.loopBound(dim); i < upper; i += S.length()) {
                FloatVector gv = FloatVector.fromArray(S, g, off + i);
                FloatVector sig = gv.neg().lanewise(VectorOperators.EXP).add(1f);
                gv.div(sig).mul(FloatVector.fromArray(S, u, off + i)).intoArray(g, off + i);
            }
            for (; i < dim; i++) g[off + i] = g[off + i] / (1f + (float) Math.exp(-g[off + i])) * u[off + i];
        });
    }
}
