package dev.shallow.heal;

/** The SwiGLU gate m = silu(g) * u, silu(g) = g * sigmoid(g), and its gradient. */
final class SwiGlu {
    private SwiGlu() {
    }

    static void forward(double[] g, double[] u, double[] m, int len) {
        for (int i = 0; i < len; i++) m[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
    }

    /** dg = dm * u * s * (1 + g * (1 - s)), du = dm * silu(g), s = sigmoid(g). */
    static void backward(double[] g, double[] u, double[] dm, double[] dg, double[] du, int len) {
        for (int i = 0; i < len; i++) {
            double s = 1 / (1 + Math.exp(-g[i]));
            dg[i] = dm[i] * u[i] * s * (1 + g[i] * (1 - s)); // d silu / dg = s (1 + g (1 - s))
            du[i] = dm[i] * g[i] * s;
        }
    }
}
