package dev.shallow.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Linear on each block format against Linear on the same weights decoded to F32: the GEMM (prefill) decodes its panels
 * exactly, so its results are the same bits; the GEMV (decode) computes on the blocks in its own order, so it agrees
 * within float rounding. Both bit-identical for 1 and 2 threads.
 */
class LinearQuantizedTest {
    static final int[] ROWS = {1, 7, 37, 101};
    static final int[] TOKENS = {1, 2, 3, Linear.GEMM_MIN_TOKENS, 5, 17, 40};
    final int defaultThreads = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(defaultThreads);
    }

    /** Row lengths: one block, three blocks, and 1280 (several GEMM k-blocks of 384, the last partial). */
    static int[] cols(DType t) {
        return new int[] {t.block, 3 * t.block, 1280};
    }

    /**
     * GEMV within 2e-6 * sum_k |x[t, k]| (|W[r, k]| + min[r, k]) + 2e-6 |b| of the F32 weights' result: each term's
     * rounding is relative to the products the kernel adds (scale q and min separately for Q4_K and Q5_K, whose
     * difference is the weight); float32 rounding of chains of at most cols / L terms plus a few scalings stays well
     * inside 2e-6 of that for these lengths. GEMM: equal bits.
     */
    @Test
    void equalsTheDecodedWeightsOnBothKernels() {
        long seed = 1;
        for (DType t : GgmlBlocks.TYPES) {
            for (int rows : ROWS) {
                for (int cols : cols(t)) {
                    byte[] blocks = GgmlBlocks.random(t, rows, cols, seed++, 0.01f);
                    Tensor q = GgmlBlocks.tensor(t, blocks, rows, cols);
                    float[] decoded = GgmlBlocks.dequantize(t, blocks), mins = GgmlBlocks.mins(t, blocks);
                    Tensor f = Tensor.ofFloats(decoded, rows, cols);
                    float[] bias = LinearTest.randoms(rows, seed++);
                    for (int tokens : TOKENS) {
                        float[] x = LinearTest.randoms(tokens * cols, seed++);
                        Parallel.setThreads(1);
                        float[] got = LinearTest.apply(x, tokens, q, bias), want = LinearTest.apply(x, tokens, f, bias);
                        Parallel.setThreads(2);
                        assertArrayEquals(got, LinearTest.apply(x, tokens, q, bias), t + " 1 vs 2 threads, " + rows + " x " + cols + ", " + tokens + " tokens");
                        String what = t + " " + rows + " x " + cols + ", " + tokens + " tokens";
                        if (tokens >= Linear.GEMM_MIN_TOKENS) {
                            assertArrayEquals(want, got, what + ": the GEMM decodes exactly");
                            continue;
                        }
                        for (int tk = 0; tk < tokens; tk++) {
                            for (int r = 0; r < rows; r++) {
                                double mag = Math.abs(bias[r]);
                                for (int k = 0; k < cols; k++) mag += Math.abs(x[tk * cols + k]) * (Math.abs(decoded[r * cols + k]) + mins[r * cols + k]);
                                float diff = Math.abs(got[tk * rows + r] - want[tk * rows + r]);
                                assertTrue(diff <= 2e-6 * mag, what + ", token " + tk + " row " + r + ": " + got[tk * rows + r] + " vs " + want[tk * rows + r]
                                        + " (tolerance " + 2e-6 * mag + ")");
                            }
                        }
                    }
                }
            }
        }
    }

    /** Several quantized weights (and a float one) in one parallel pass equal each applied alone. */
    @Test
    void mixedWeightsInOnePassEqualEachApplied() {
        int cols = 512, tokens = 2;
        Tensor[] ws = new Tensor[GgmlBlocks.TYPES.length + 1];
        for (int i = 0; i < GgmlBlocks.TYPES.length; i++) {
            DType t = GgmlBlocks.TYPES[i];
            ws[i] = GgmlBlocks.tensor(t, GgmlBlocks.random(t, 9 + i, cols, 40 + i, 0.02f), 9 + i, cols);
        }
        ws[ws.length - 1] = Tensor.ofFloats(LinearTest.randoms(3 * cols, 7), 3, cols);
        float[] x = LinearTest.randoms(tokens * cols, 8);
        float[][] ys = new float[ws.length][], biases = new float[ws.length][];
        for (int i = 0; i < ws.length; i++) ys[i] = new float[tokens * ws[i].rows()];
        Linear.apply(x, tokens, ws, biases, ys);
        for (int i = 0; i < ws.length; i++) assertArrayEquals(LinearTest.apply(x, tokens, ws[i], null), ys[i], "weight " + i);
    }
}
