package dev.shallow.heal;

import dev.shallow.tensor.Parallel;

/** The SwiGLU gate m = silu(g) * u, silu(g) = g * sigmoid(g), and its gradient, over chunks of elements in parallel. */
final class SwiGlu {
    private static final int CHUNK = 1 << 14;

    private SwiGlu() {
    }

    static void forward(double[] g, double[] u, double[] m, int len) {
        Parallel.forEach((len + CHUNK - 1) / CHUNK, c -> {
            for (int i = c * CHUNK; i < Math.min(len, (c + 1) * CHUNK); i++) m[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
        });
    }

    /** dg = dm * u * s * (1 + g * (1 - s)), du = dm * silu(g), s = sigmoid(g). */
    static void backward(double[] g, double[] u, double[] dm, double[] dg, double[] du, int len) {
        Parallel.forEach((len + CHUNK - 1) / CHUNK, c -> {
            for (int i = c * CHUNK; i < Math.min(len, (c + 1) * CHUNK); i++) {
                double s = 1 / (1 + Math.exp(-g[i]));
                dg[i] = dm[i] * u[i] * s * (1 + g[i] * (1 - s)); // d silu / dg = s (1 + g (1 - s))
                du[i] = dm[i] * g[i] * s;
            }
        });
    }
}
