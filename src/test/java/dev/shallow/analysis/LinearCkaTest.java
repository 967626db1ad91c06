package dev.shallow.analysis;

import dev.shallow.Shared;
import dev.shallow.model.Model;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinearCkaTest {
    static float[][] random(int n, int d, long seed) {
        Random r = new Random(seed);
        float[][] x = new float[n][d];
        for (float[] row : x) for (int i = 0; i < d; i++) row[i] = (float) r.nextGaussian();
        return x;
    }

    static float[][] scaled(float[][] x, float k) {
        float[][] y = new float[x.length][];
        for (int r = 0; r < x.length; r++) {
            y[r] = x[r].clone();
            for (int i = 0; i < y[r].length; i++) y[r][i] *= k;
        }
        return y;
    }

    /** 1-d features: CKA = squared correlation. x = (1, 2, 3) centred (-1, 0, 1); y = (1, 0, 2) centred (0, -1, 1); corr = 1/2. */
    @Test
    void oneDimensionalIsSquaredCorrelation() {
        assertEquals(0.25, LinearCka.of(new float[][]{{1}, {2}, {3}}, new float[][]{{1}, {0}, {2}}), 1e-15);
    }

    /**
     * X rows (1,0), (0,1), (-1,-1) and Y rows (1), (0), (-1) are already centred: X^T X = [[2,1],[1,2]],
     * ||X^T X||_F = sqrt(10), Y^T Y = 2, Y^T X = (2, 1), ||Y^T X||_F^2 = 5: CKA = 5 / (2 sqrt(10)).
     */
    @Test
    void handComputedFeatureFormExample() {
        double want = 5 / (2 * Math.sqrt(10));
        float[][] x = {{1, 0}, {0, 1}, {-1, -1}}, y = {{1}, {0}, {-1}};
        assertEquals(want, LinearCka.of(x, y), 1e-15);
        assertEquals(want, LinearCka.of(y, x), 1e-15);
    }

    @Test
    void identitySymmetryAndScaleInvariance() {
        float[][] x = random(20, 7, 1), y = random(20, 5, 2);
        assertEquals(1.0, LinearCka.of(x, x), 1e-12);
        assertEquals(LinearCka.of(x, y), LinearCka.of(y, x), 1e-15);
        assertEquals(LinearCka.of(x, y), LinearCka.of(x, scaled(y, 7.5f)), 1e-6, "to float rounding of the scaled input");
        assertEquals(LinearCka.of(x, y), LinearCka.of(scaled(x, 0.25f), y), 1e-12, "a power of two scales exactly");
        double c = LinearCka.of(x, y);
        assertTrue(c > 0 && c < 1, "CKA of independent random features " + c);
    }

    /** Kc = H X X^T H by plain scalar loops in double, the definition the vectorised, tiled version must match. */
    static double[] referenceCentredGram(float[] x, int n, int h) {
        double[] k = new double[n * n];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                double s = 0;
                for (int i = 0; i < h; i++) s += (double) x[a * h + i] * x[b * h + i];
                k[a * n + b] = s;
            }
        }
        double[] row = new double[n];
        double all = 0;
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) row[a] += k[a * n + b] / n;
            all += row[a] / n;
        }
        for (int a = 0; a < n; a++) for (int b = 0; b < n; b++) k[a * n + b] += all - row[a] - row[b];
        return k;
    }

    static float[] flat(float[][] rows) {
        float[] f = new float[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) System.arraycopy(rows[r], 0, f, r * rows[0].length, rows[0].length);
        return f;
    }

    /** Tiles, lanes and chunks change only the order of the additions: within 1e-12 of scalar loops (n not a tile multiple). */
    @Test
    void vectorisedGramAndMatrixEqualPlainLoops() {
        int n = 77, h = 37;
        float[][] reps = new float[4][];
        for (int p = 0; p < reps.length; p++) reps[p] = flat(random(n, h, 10 + p));
        double[][] ref = new double[reps.length][];
        for (int p = 0; p < reps.length; p++) {
            ref[p] = referenceCentredGram(reps[p], n, h);
            double[] got = LinearCka.centredGram(reps[p], n, h);
            for (int i = 0; i < got.length; i++) assertEquals(ref[p][i], got[i], 1e-12 * Math.max(1, Math.abs(ref[p][i])));
        }
        double[][] cka = LinearCka.matrix(reps, n, h);
        for (int i = 0; i < reps.length; i++) {
            for (int j = 0; j < reps.length; j++) {
                double xy = 0, xx = 0, yy = 0;
                for (int e = 0; e < n * n; e++) {
                    xy += ref[i][e] * ref[j][e];
                    xx += ref[i][e] * ref[i][e];
                    yy += ref[j][e] * ref[j][e];
                }
                assertEquals(xy / Math.sqrt(xx * yy), cka[i][j], 1e-12);
            }
        }
    }

    /** On a model: the CKA matrix has a unit diagonal, is symmetric and lies in [0, 1]. */
    @Test
    void modelMatrixIsASimilarity() throws IOException {
        try (Model model = Model.load(Shared.model("stories-16L"))) {
            double[][] cka = Analyser.run(model, GoldenSequences.of("stories-16L"), AnalysisOptions.defaults(), null, Progress.NONE).cka();
            assertEquals(17, cka.length);
            for (int i = 0; i < cka.length; i++) {
                assertEquals(1.0, cka[i][i], 1e-12);
                for (int j = 0; j < cka.length; j++) {
                    assertEquals(cka[i][j], cka[j][i]);
                    assertTrue(cka[i][j] >= 0 && cka[i][j] <= 1 + 1e-12, "cka[" + i + "][" + j + "] = " + cka[i][j]);
                }
            }
            System.out.printf("stories-16L CKA(x_0, x_16) = %.3f, CKA(x_8, x_9) = %.3f%n", cka[0][16], cka[8][9]);
        }
    }
}
