package dev.shallow.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RmsNormTest {
    /**
     * Against float64: y = x / sqrt(mean(x^2) + eps) * w. Tolerance 1e-6 * |x w| / rms + 1e-30: the
     * float sum of squares (relative error ~ sqrt(dim) * 2^-24) enters through a square root, then
     * two roundings per element.
     */
    @Test
    void matchesDoubleReference() {
        for (int dim : new int[] {1, 3, 7, 17, 64, 100, 173, 2048}) {
            int tokens = 5;
            float[] x = LinearTest.randoms(tokens * dim, dim), w = LinearTest.randoms(dim, dim + 1), out = new float[tokens * dim];
            RmsNorm.rmsnorm(x, tokens, dim, w, 1e-5f, out);
            for (int t = 0; t < tokens; t++) {
                double ss = 0;
                for (int i = 0; i < dim; i++) ss += (double) x[t * dim + i] * x[t * dim + i];
                double inv = 1 / Math.sqrt(ss / dim + 1e-5);
                for (int i = 0; i < dim; i++) {
                    double ref = x[t * dim + i] * inv * w[i], err = Math.abs(out[t * dim + i] - ref);
                    assertTrue(err <= 1e-6 * Math.abs(x[t * dim + i] * w[i]) * inv + 1e-30, "dim " + dim + " t " + t + " i " + i + ": " + out[t * dim + i] + " vs " + ref);
                }
            }
        }
    }

    @Test
    void inPlaceAndThreadCountGiveTheSameBits() {
        int tokens = 9, dim = 301;
        float[] x = LinearTest.randoms(tokens * dim, 1), w = LinearTest.randoms(dim, 2), out = new float[tokens * dim];
        int threads = Parallel.threads();
        try {
            Parallel.setThreads(1);
            RmsNorm.rmsnorm(x, tokens, dim, w, 1e-6f, out);
            Parallel.setThreads(2);
            float[] inPlace = x.clone();
            RmsNorm.rmsnorm(inPlace, tokens, dim, w, 1e-6f, inPlace);
            assertArrayEquals(out, inPlace);
        } finally {
            Parallel.setThreads(threads);
        }
    }
}
