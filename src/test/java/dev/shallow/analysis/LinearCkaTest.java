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
