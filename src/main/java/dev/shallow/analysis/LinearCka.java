package dev.shallow.analysis;

import dev.shallow.tensor.Parallel;

/**
 * Linear CKA (Kornblith et al. 2019) in its Gram form, which costs n^2 per representation for n
 * tokens instead of hidden^2 per pair: CKA(X, Y) = <Kc_X, Kc_Y>_F / (||Kc_X||_F ||Kc_Y||_F) with
 * K_X = X X^T and Kc = H K H, H = I - 11^T / n; equal to ||Y_c^T X_c||_F^2 / (||X_c^T X_c||_F ||Y_c^T Y_c||_F)
 * on column-centred X, Y.
 */
public final class LinearCka {
    private LinearCka() {
    }

    /** Kc = H (X X^T) H for the n rows of {@code x} (n x hidden, row-major), in double. */
    static double[] centredGram(float[] x, int n, int hidden) {
        double[] k = new double[n * n];
        Parallel.forEach(n, a -> {
            for (int b = 0; b < n; b++) {
                double s = 0;
                for (int i = 0; i < hidden; i++) s += (double) x[a * hidden + i] * x[b * hidden + i];
                k[a * n + b] = s;
            }
        });
        centre(k, n);
        return k;
    }

    /** K <- H K H: subtract row means and column means, add back the grand mean. */
    private static void centre(double[] k, int n) {
        double[] rowMean = new double[n];
        double all = 0;
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) rowMean[a] += k[a * n + b];
            all += rowMean[a];
            rowMean[a] /= n;
        }
        all /= (double) n * n;
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) k[a * n + b] += all - rowMean[a] - rowMean[b];
        }
    }

    /** <Kx, Ky>_F / (||Kx||_F ||Ky||_F) for centred Grams (NaN when one representation is constant). */
    static double ofCentredGrams(double[] kx, double[] ky) {
        double xy = 0, xx = 0, yy = 0;
        for (int i = 0; i < kx.length; i++) {
            xy += kx[i] * ky[i];
            xx += kx[i] * kx[i];
            yy += ky[i] * ky[i];
        }
        return xy / Math.sqrt(xx * yy);
    }

    /** CKA between every pair of representations {@code reps[i]} (each n x hidden, row-major). */
    static double[][] matrix(float[][] reps, int n, int hidden) {
        double[][] grams = new double[reps.length][];
        for (int i = 0; i < reps.length; i++) grams[i] = centredGram(reps[i], n, hidden);
        double[][] cka = new double[reps.length][reps.length];
        for (int i = 0; i < reps.length; i++) {
            for (int j = i; j < reps.length; j++) cka[i][j] = cka[j][i] = ofCentredGrams(grams[i], grams[j]);
        }
        return cka;
    }

    /** CKA(X, Y) for two representations of the same n examples (rows), any widths. */
    public static double of(float[][] x, float[][] y) {
        return ofCentredGrams(centredGram(flatten(x), x.length, x[0].length), centredGram(flatten(y), y.length, y[0].length));
    }

    private static float[] flatten(float[][] rows) {
        float[] flat = new float[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) System.arraycopy(rows[r], 0, flat, r * rows[0].length, rows[0].length);
        return flat;
    }
}
