package dev.shallow.prune;

import dev.shallow.ShallowException;
import dev.shallow.tensor.Parallel;

/**
 * The float64 sums of a least-squares fit of a linear map T (h x h) taking rows m of M to rows d of D (one row per token):
 * G = M^T M, C = M^T D, ||D||^2 and ||M - D||^2 (the error of T = I), and their ridge solution
 * T = (G + lambda I)^-1 C (minimises ||M T - D||^2 + lambda ||T||^2), by Cholesky.
 */
final class NormalEquations {
    private final int h;
    private final double[] g, c; // row-major h x h
    private double targetSq, identitySq;
    private long tokens;

    NormalEquations(int h) {
        this.h = h;
        this.g = new double[h * h];
        this.c = new double[h * h];
    }

    /** Adds {@code n} tokens: rows of m [n, h] and of d = target - base ([n, h] each), differences taken in float64. */
    void add(float[] m, float[] target, float[] base, int n) {
        double[] d = new double[n * h];
        for (int i = 0; i < n * h; i++) {
            d[i] = (double) target[i] - base[i];
            targetSq += d[i] * d[i];
            identitySq += (m[i] - d[i]) * (m[i] - d[i]);
        }
        Parallel.forEach(h, j -> { // row j of G and C: sum over tokens of m[t, j] m[t, :] and m[t, j] d[t, :]
            int row = j * h;
            for (int t = 0; t < n; t++) {
                double mj = m[t * h + j];
                int o = t * h;
                for (int k = 0; k < h; k++) {
                    g[row + k] += mj * m[o + k];
                    c[row + k] += mj * d[o + k];
                }
            }
        });
        tokens += n;
    }

    long tokens() {
        return tokens;
    }

    /** trace(G) / h: the mean squared value of an element of M per token times the tokens; the scale of a relative ridge. */
    double meanDiagonal() {
        double s = 0;
        for (int j = 0; j < h; j++) s += g[j * h + j];
        return s / h;
    }

    /**
     * T [h, h] row-major solving (G + lambda I) T = C. A matrix that is not numerically positive definite (M spans fewer than h
     * directions on these tokens and lambda is 0) is an error naming {@code what}.
     */
    double[] solve(double lambda, String what) {
        double[] l = g.clone(); // Cholesky factor L (lower) of G + lambda I, in place: A = L L^T
        for (int j = 0; j < h; j++) l[j * h + j] += lambda;
        double tiny = 1e-13 * Math.max(meanDiagonal() + lambda, Double.MIN_NORMAL);
        for (int j = 0; j < h; j++) {
            for (int k = 0; k < j; k++) {
                double s = l[j * h + k];
                for (int p = 0; p < k; p++) s -= l[j * h + p] * l[k * h + p];
                l[j * h + k] = s / l[k * h + k];
            }
            double s = l[j * h + j];
            for (int p = 0; p < j; p++) s -= l[j * h + p] * l[j * h + p];
            if (!(s > tiny)) {
                throw new ShallowException(what + ": the least-squares system is singular (the MLP outputs span fewer than " + h
                        + " directions on the " + tokens + " calibration tokens); give --ridge > 0 or more calibration text");
            }
            l[j * h + j] = Math.sqrt(s);
        }
        double[] t = new double[h * h];
        Parallel.forEach(h, col -> { // column col of T: forward then back substitution
            double[] y = new double[h];
            for (int i = 0; i < h; i++) {
                double s = c[i * h + col];
                for (int p = 0; p < i; p++) s -= l[i * h + p] * y[p];
                y[i] = s / l[i * h + i];
            }
            for (int i = h - 1; i >= 0; i--) {
                double s = y[i];
                for (int p = i + 1; p < h; p++) s -= l[p * h + i] * t[p * h + col];
                t[i * h + col] = s / l[i * h + i];
            }
        });
        return t;
    }

    /** ||M T - D||^2 / ||D||^2 from the sums: (||D||^2 - 2 <T, C> + <T, G T>) / ||D||^2. */
    double relativeError(double[] t) {
        double[] rows = new double[h]; // row j's share of <T, G T> - 2 <T, C>
        Parallel.forEach(h, j -> {
            double s = 0;
            for (int o = 0; o < h; o++) {
                double gt = 0;
                for (int k = 0; k < h; k++) gt += g[j * h + k] * t[k * h + o];
                s += t[j * h + o] * (gt - 2 * c[j * h + o]);
            }
            rows[j] = s;
        });
        double sum = targetSq;
        for (double r : rows) sum += r;
        return Math.max(0, sum) / targetSq;
    }

    /** ||M - D||^2 / ||D||^2: the error of T = I. */
    double identityRelativeError() {
        return identitySq / targetSq;
    }
}
