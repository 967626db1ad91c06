package dev.shallow.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Vector API products with few outputs (a LoRA adapter's rank side: at most one group of MR, over more tokens) run
 * with the roles of x and W swapped; each output must still be the one chain of fused multiply-adds over k ascending that
 * every other shape gives: y[t, r] = fma(round(x[t, k]), W[r, k], ...) from zero. Checked bit for bit against that chain
 * written out, for the thin shapes and a wide one, both products, both precisions.
 */
class ThinProductTest {
    @Test
    void everyShapeIsTheSameChainOfFmas() {
        Matmul.setChoice(Matmul.Choice.VECTOR);
        try {
            for (MatmulPrecision p : MatmulPrecision.values()) {
                Matmul.setPrecision(p);
                for (int outputs : new int[] {1, 8, VectorGemm.MR, 40}) {
                    int tokens = 150, k = 777;
                    float[] x = LinearTest.randoms(tokens * k, outputs);
                    Tensor w = LinearTest.heapWeights(DType.F32, outputs, k, 2);
                    float[] y = new float[tokens * outputs];
                    Matmul.multiply(x, tokens, w, y);
                    check(p, x, tokens, k, outputs, (r, i) -> w.get((long) r * k + i), y, "x W^T, " + outputs + " outputs, " + p);
                    Tensor wu = LinearTest.heapWeights(DType.BF16, k, outputs, 3); // W [k, outputs] as stored: x W
                    Matmul.multiplyUntransposed(x, tokens, wu, y);
                    check(p, x, tokens, k, outputs, (r, i) -> wu.get((long) i * outputs + r), y, "x W, " + outputs + " outputs, " + p);
                }
            }
        } finally {
            Matmul.restoreDefaults();
        }
    }

    interface Element {
        float of(int output, int k);
    }

    private static void check(MatmulPrecision p, float[] x, int tokens, int k, int outputs, Element w, float[] y, String what) {
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < outputs; r++) {
                float acc = 0;
                for (int i = 0; i < k; i++) acc = Math.fma(p.round(x[t * k + i]), w.of(r, i), acc);
                assertEquals(Float.floatToRawIntBits(acc), Float.floatToRawIntBits(y[t * outputs + r]), what + ": token " + t + ", output " + r);
            }
        }
    }
}
