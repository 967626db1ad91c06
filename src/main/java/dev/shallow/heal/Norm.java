package dev.shallow.heal;

import dev.shallow.model.NormWeights;
import dev.shallow.tensor.Parallel;

/**
 * The norms and their gradients, per row of dim values, in double: y = xhat * w + b with xhat = (x - mu) * inv.
 * RMSNorm (Llama; Gemma with w holding 1 + w): mu = 0, inv = 1 / sqrt(mean(x^2) + eps), no b. LayerNorm
 * ({@code centred}, Phi-2): mu = mean(x), inv = 1 / sqrt(mean((x - mu)^2) + eps), with b.
 */
final class Norm {
    private Norm() {
    }

    /** y [n, dim] (not x) and each row's mu and inv [n] from x [n, dim]. */
    static void forward(double[] x, int n, int dim, NormWeights w, boolean centred, double eps, double[] y, double[] mu, double[] inv) {
        float[] scale = w.scale(), bias = w.bias();
        Parallel.forEach(n, t -> {
            int o = t * dim;
            double m = 0, ss = 0;
            if (centred) {
                for (int i = 0; i < dim; i++) m += x[o + i];
                m /= dim;
            }
            for (int i = 0; i < dim; i++) ss += (x[o + i] - m) * (x[o + i] - m);
            double r = inv[t] = 1 / Math.sqrt(ss / dim + eps);
            mu[t] = m;
            for (int i = 0; i < dim; i++) y[o + i] = scale[i] * (x[o + i] - m) * r + (bias == null ? 0 : bias[i]);
        });
    }

    /**
     * dx += (g - mean(g) [centred only] - xhat * mean(g * xhat)) * inv with g = dy * w; and, when dw (db) is not
     * null, dw += sum over rows of dy * xhat (db += sum of dy).
     */
    static void backward(double[] x, int n, int dim, NormWeights w, boolean centred, double[] mu, double[] inv, double[] dy, double[] dx,
                         double[] dw, double[] db) {
        float[] scale = w.scale();
        Parallel.forEach(n, t -> {
            int o = t * dim;
            double r = inv[t], m = mu[t], dot = 0, sum = 0;
            for (int i = 0; i < dim; i++) {
                double g = dy[o + i] * scale[i];
                dot += g * (x[o + i] - m) * r; // sum g * xhat
                sum += g;
            }
            double meanDot = dot / dim, meanG = centred ? sum / dim : 0;
            for (int i = 0; i < dim; i++) dx[o + i] += (dy[o + i] * scale[i] - meanG - (x[o + i] - m) * r * meanDot) * r;
        });
        if (dw != null) {
            Parallel.forEach(dim, i -> {
                double s = 0;
                for (int t = 0; t < n; t++) s += dy[t * dim + i] * (x[t * dim + i] - mu[t]) * inv[t]; // dw = sum_t dy * xhat
                dw[i] += s;
            });
        }
        if (db != null) {
            Parallel.forEach(dim, i -> {
                double s = 0;
                for (int t = 0; t < n; t++) s += dy[t * dim + i]; // db = sum_t dy
                db[i] += s;
            });
        }
    }
}
