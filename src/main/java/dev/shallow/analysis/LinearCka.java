package dev.shallow.analysis;

import dev.shallow.tensor.Parallel;
import dev.shallow.tensor.VectorMath;

/**
 * Linear CKA (Kornblith et al. 2019) in its Gram form, which costs n^2 per representation for n
 * tokens instead of hidden^2 per pair: CKA(X, Y) = <Kc_X, Kc_Y>_F / (||Kc_X||_F ||Kc_Y||_F) with
 * K_X = X X^T and Kc = H K H, H = I - 11^T / n; equal to ||Y_c^T X_c||_F^2 / (||X_c^T X_c||_F ||Y_c^T Y_c||_F)
 * on column-centred X, Y.
 */
public final class LinearCka {
    private LinearCka() {
    }

    /** Rows per tile of the Gram matrix: two tiles of rows stay in cache while every pair between them is formed. */
    private static final int TILE = 32;

    /**
     * Kc = H (X X^T) H for the n rows of {@code x} (n x hidden, row-major), in double: every product of two floats is
     * exact in double, and the sums run in double lanes, so only the order of the additions differs from a plain loop.
     */
    static double[] centredGram(float[] x, int n, int hidden) {
        double[] rows = new double[n * hidden];
        for (int i = 0; i < rows.length; i++) rows[i] = x[i];
        double[] k = new double[n * n];
        int tiles = (n + TILE - 1) / TILE;
        Parallel.forEach(tiles, ta -> {
            int a0 = ta * TILE, a1 = Math.min(n, a0 + TILE);
            for (int b0 = a0; b0 < n; b0 += TILE) {
                int b1 = Math.min(n, b0 + TILE);
                for (int a = a0; a < a1; a++) {
                    for (int b = Math.max(a, b0); b < b1; b++) k[a * n + b] = VectorMath.dot(rows, a * hidden, rows, b * hidden, hidden);
                }
            }
        });
        for (int a = 0; a < n; a++) for (int b = 0; b < a; b++) k[a * n + b] = k[b * n + a];
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
        return VectorMath.dot(kx, 0, ky, 0, kx.length) / Math.sqrt(VectorMath.dot(kx, 0, kx, 0, kx.length) * VectorMath.dot(ky, 0, ky, 0, ky.length));
    }

    /** CKA between every pair of representations {@code reps[i]} (each n x hidden, row-major). */
    static double[][] matrix(float[][] reps, int n, int hidden) {
        double[][] grams = new double[reps.length][];
        for (int i = 0; i < reps.length; i++) grams[i] = centredGram(reps[i], n, hidden);
        double[][] inner = innerProducts(grams);
        int m = reps.length;
        double[][] cka = new double[m][m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) cka[i][j] = inner[Math.min(i, j)][Math.max(i, j)] / Math.sqrt(inner[i][i] * inner[j][j]);
        }
        return cka;
    }

    /** Entries of the Gram matrices per chunk: the chunks of all of them together stay in cache. */
    private static final int CHUNK = 2048;

    /**
     * <K_i, K_j>_F for i <= j, summed chunk by chunk (each chunk's partial sums in parallel, then added in chunk
     * order, so the result does not depend on the thread count): every Gram is read from memory once.
     */
    private static double[][] innerProducts(double[][] grams) {
        int m = grams.length, size = grams[0].length, chunks = (size + CHUNK - 1) / CHUNK;
        double[][][] partial = new double[chunks][m][m];
        Parallel.forEach(chunks, c -> {
            int from = c * CHUNK, len = Math.min(size, from + CHUNK) - from;
            for (int i = 0; i < m; i++) {
                for (int j = i; j < m; j++) partial[c][i][j] = VectorMath.dot(grams[i], from, grams[j], from, len);
            }
        });
        double[][] sum = new double[m][m];
        for (double[][] p : partial) {
            for (int i = 0; i < m; i++) for (int j = i; j < m; j++) sum[i][j] += p[i][j];
        }
        return sum;
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
