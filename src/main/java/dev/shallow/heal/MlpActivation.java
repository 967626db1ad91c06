package dev.shallow.heal;

import dev.shallow.model.Activation;
import dev.shallow.tensor.Parallel;

/**
 * The MLP's activation and its gradient, over chunks of elements in parallel, in double: gated m = act(g) * u
 * (SwiGLU, GeGLU), or ungated m = act(g) (Phi-2's fc1 output), with act = silu(x) = x sigmoid(x) or
 * gelu_tanh(x) = 0.5 x (1 + tanh(z)), z = sqrt(2/pi) (x + 0.044715 x^3).
 */
final class MlpActivation {
    private static final int CHUNK = 1 << 14;
    private static final double GELU_C = Math.sqrt(2 / Math.PI), GELU_K = 0.044715;

    private MlpActivation() {
    }

    /** m = act(g) * u, or act(g) when u is null. */
    static void forward(Activation act, double[] g, double[] u, double[] m, int len) {
        Parallel.forEach((len + CHUNK - 1) / CHUNK, c -> {
            for (int i = c * CHUNK; i < Math.min(len, (c + 1) * CHUNK); i++) m[i] = value(act, g[i]) * (u == null ? 1 : u[i]);
        });
    }

    /** dg = dm * u * act'(g) and du = dm * act(g) (gated), or dg = dm * act'(g) (u and du null): one exp or tanh per element for both. */
    static void backward(Activation act, double[] g, double[] u, double[] dm, double[] dg, double[] du, int len) {
        Parallel.forEach((len + CHUNK - 1) / CHUNK, c -> {
            for (int i = c * CHUNK; i < Math.min(len, (c + 1) * CHUNK); i++) {
                double x = g[i], a = transcendental(act, x);
                dg[i] = dm[i] * (u == null ? 1 : u[i]) * slope(act, x, a);
                if (u != null) du[i] = dm[i] * value(act, x, a);
            }
        });
    }

    static double value(Activation act, double x) {
        return value(act, x, transcendental(act, x));
    }

    /** The one transcendental both act and act' use: e = exp(-x) for silu, t = tanh(z) for gelu_tanh. */
    private static double transcendental(Activation act, double x) {
        return switch (act) {
            case SILU -> Math.exp(-x);
            case GELU_TANH -> Math.tanh(GELU_C * (x + GELU_K * x * x * x));
        };
    }

    /** act(x) from its transcendental a: silu = x / (1 + e); gelu_tanh = 0.5 x (1 + t). */
    private static double value(Activation act, double x, double a) {
        return switch (act) {
            case SILU -> x / (1 + a);
            case GELU_TANH -> 0.5 * x * (1 + a);
        };
    }

    /** act'(x): silu' = s (1 + x (1 - s)), s = sigmoid(x) = 1 / (1 + e); gelu_tanh' = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 0.044715 x^2). */
    private static double slope(Activation act, double x, double a) {
        return switch (act) {
            case SILU -> {
                double s = 1 / (1 + a);
                yield s * (1 + x * (1 - s));
            }
            case GELU_TANH -> 0.5 * (1 + a) + 0.5 * x * (1 - a * a) * GELU_C * (1 + 3 * GELU_K * x * x);
        };
    }
}
