package dev.shallow.tensor;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** LayerNorm against its definition in double: (x - mean) / sqrt(var + eps) * w + b, biased variance, in place too. */
class LayerNormTest {
    @Test
    void matchesTheDefinition() {
        int rows = 3, dim = 37;
        SplittableRandom rnd = new SplittableRandom(5);
        float[] x = new float[rows * dim], w = new float[dim], b = new float[dim];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 6 + 2); // an offset mean, so centring matters
        for (int i = 0; i < dim; i++) {
            w[i] = (float) (rnd.nextDouble() + 0.5);
            b[i] = (float) (rnd.nextDouble() - 0.5);
        }
        float[] out = new float[x.length], inPlace = x.clone();
        LayerNorm.layernorm(x, rows, dim, w, b, 1e-5f, out);
        LayerNorm.layernorm(inPlace, rows, dim, w, b, 1e-5f, inPlace);
        for (int r = 0; r < rows; r++) {
            double mean = 0, var = 0;
            for (int i = 0; i < dim; i++) mean += x[r * dim + i] / (double) dim;
            for (int i = 0; i < dim; i++) var += (x[r * dim + i] - mean) * (x[r * dim + i] - mean) / dim;
            for (int i = 0; i < dim; i++) {
                double want = (x[r * dim + i] - mean) / Math.sqrt(var + 1e-5) * w[i] + b[i];
                assertEquals(want, out[r * dim + i], 2e-5, "row " + r + " dim " + i);
                assertEquals(out[r * dim + i], inPlace[r * dim + i], "in place");
            }
        }
    }
}
