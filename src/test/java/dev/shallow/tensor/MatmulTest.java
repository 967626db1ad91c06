package dev.shallow.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Both GEMM backends (the Vector API kernels at this JVM's vector width, oneDNN's matmul) in both
 * precisions against a float64 sum of the same operands: x as the precision rounds it, the weights
 * widened exactly. Tolerance 1e-6 * (sum_k |x[t, k]| |W[r, k]| + |b[r]|), as LinearTest: float32
 * rounding of a sum of products, in whatever order a backend adds them. bf16 against f32: rounding
 * x to bfloat16 moves each product by at most 2^-8 of it (8 significant bits, round to nearest),
 * so the two differ by at most 2^-8 of that magnitude (plus both float32 errors).
 */
class MatmulTest {
    static final int[] TOKENS = {4, 5, 37, 130};
    final int defaultThreads = Parallel.threads();

    @AfterEach
    void restore() {
        Matmul.restoreDefaults();
        Parallel.setThreads(defaultThreads);
    }

    /** Maven's org.bytedeco:dnnl bundles the library for Linux x86-64: there it must load, from the build alone. */
    @Test
    void oneDnnLoadsFromTheBuild() {
        String os = System.getProperty("os.name"), arch = System.getProperty("os.arch");
        if (!os.startsWith("Linux") || !arch.equals("amd64")) return;
        assertNotNull(Matmul.oneDnn(), "oneDNN did not load: " + OneDnn.unavailable());
    }

    @Test
    void everyBackendMatchesDoubleReferenceInBothPrecisions() {
        int checked = 0;
        try (Arena arena = Arena.ofShared()) {
            for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
                for (int[] shape : new int[][] {{173, 100}, {64, 384}, {300, 17}}) {
                    int rows = shape[0], cols = shape[1];
                    // native weights, as a memory-mapped checkpoint's (oneDNN reads them in place), and heap ones (copied)
                    Tensor mapped = LinearTest.weights(dtype, rows, cols, rows + cols, n -> arena.allocate(n, 64));
                    Tensor heap = LinearTest.heapWeights(dtype, rows, cols, rows + cols);
                    for (int tokens : TOKENS) {
                        float[] x = LinearTest.randoms(tokens * cols, tokens), bias = tokens % 2 == 1 ? LinearTest.randoms(rows, 7) : null;
                        for (MatmulPrecision p : MatmulPrecision.values()) {
                            for (Matmul.Choice c : new Matmul.Choice[] {Matmul.Choice.VECTOR, Matmul.Choice.ONEDNN}) {
                                for (Tensor w : new Tensor[] {mapped, heap}) {
                                    checked += check(c, p, x, tokens, w, bias, false);
                                }
                            }
                        }
                    }
                }
            }
        }
        assertTrue(checked > 100_000, "checked " + checked);
    }

    /**
     * x W with W as stored (training's dx = dy W): outputs are W's columns, partial tiles of them and of the reduction
     * included, for the float types and a block format (Q8_0, whose rows the panels cut inside blocks), on both backends.
     */
    @Test
    void everyBackendMultipliesByWAsStored() {
        int checked = 0;
        for (DType dtype : new DType[] {DType.F32, DType.BF16, DType.F16, DType.Q8_0}) {
            for (int[] shape : new int[][] {{100, 352}, {384, 64}, {17, 320}, {800, 96}}) {
                int rows = shape[0], cols = shape[1];
                Tensor w = dtype == DType.Q8_0 ? q8_0(LinearTest.randoms(rows * cols, rows), rows, cols) : LinearTest.heapWeights(dtype, rows, cols, rows + cols);
                for (int tokens : TOKENS) {
                    float[] x = LinearTest.randoms(tokens * rows, tokens);
                    for (MatmulPrecision p : MatmulPrecision.values()) {
                        for (Matmul.Choice c : new Matmul.Choice[] {Matmul.Choice.VECTOR, Matmul.Choice.ONEDNN}) checked += check(c, p, x, tokens, w, null, true);
                    }
                }
            }
        }
        assertTrue(checked > 100_000, "checked " + checked);
    }

    private static Tensor q8_0(float[] values, int rows, int cols) {
        java.lang.foreign.MemorySegment seg = java.lang.foreign.MemorySegment.ofArray(new byte[(int) DType.Q8_0.byteSize((long) rows * cols)]);
        Q8_0Tensor.quantize(values, 0, values.length, seg, 0);
        return Tensor.of(DType.Q8_0, seg, new long[] {rows, cols});
    }

    /**
     * The backend that ran, and every output within the tolerance of the float64 sum of round(x) and W: y = x W^T + b,
     * or with untransposed y = x W.
     */
    private static int check(Matmul.Choice c, MatmulPrecision p, float[] x, int tokens, Tensor w, float[] bias, boolean untransposed) {
        Matmul.setChoice(c);
        Matmul.setPrecision(p);
        boolean oneDnn = c == Matmul.Choice.ONEDNN && OneDnnGemm.takes(w, p);
        assertSame(oneDnn ? Matmul.oneDnn() : VectorGemm.INSTANCE, Matmul.backend(new Tensor[] {w}, p));
        int rows = untransposed ? w.cols() : w.rows(), cols = untransposed ? w.rows() : w.cols();
        float[] y = new float[tokens * rows];
        if (untransposed) Matmul.multiplyUntransposed(x, tokens, w, y);
        else Linear.apply(x, tokens, w, bias, y);
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                double ref = bias == null ? 0 : bias[r], mag = Math.abs(ref);
                for (int k = 0; k < cols; k++) {
                    double prod = (double) p.round(x[t * cols + k]) * w.get(untransposed ? (long) k * rows + r : (long) r * cols + k);
                    ref += prod;
                    mag += Math.abs(prod);
                }
                double err = Math.abs(y[t * rows + r] - ref);
                if (!(err <= 1e-6 * mag)) {
                    fail(c + " " + p + " " + w.dtype() + " " + rows + "x" + cols + (untransposed ? " untransposed" : "") + " tokens " + tokens
                            + " (t " + t + ", r " + r + "): y = " + y[t * rows + r] + ", reference " + ref + ", error " + err + " > 1e-6 * " + mag);
                }
            }
        }
        return tokens * rows;
    }

    /** bf16 rounds: it differs from f32 (somewhere), by at most 2^-8 of the magnitude (+ 2e-6 for both float32 errors). */
    @Test
    void bf16DiffersFromF32WithinItsRounding() {
        int rows = 96, cols = 512, tokens = 33;
        Tensor w = LinearTest.heapWeights(DType.BF16, rows, cols, 5);
        float[] x = LinearTest.randoms(tokens * cols, 6);
        for (Matmul.Choice c : new Matmul.Choice[] {Matmul.Choice.VECTOR, Matmul.Choice.ONEDNN}) {
            Matmul.setChoice(c);
            Matmul.setPrecision(MatmulPrecision.F32);
            float[] f32 = LinearTest.apply(x, tokens, w, null);
            Matmul.setPrecision(MatmulPrecision.BF16);
            float[] bf16 = LinearTest.apply(x, tokens, w, null);
            double worst = 0;
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < rows; r++) {
                    double mag = 0;
                    for (int k = 0; k < cols; k++) mag += Math.abs((double) x[t * cols + k] * w.get((long) r * cols + k));
                    double d = Math.abs(bf16[t * rows + r] - f32[t * rows + r]);
                    assertTrue(d <= (0x1p-8 + 2e-6) * mag, c + " t " + t + " r " + r + ": " + d + " of " + mag);
                    worst = Math.max(worst, d);
                }
            }
            assertTrue(worst > 0, c + ": bf16 gave the f32 results");
        }
    }

    /** Decode (the GEMV, below GEMM_MIN_TOKENS) rounds its input too: one token gives the bits it gives inside a bf16 GEMM batch, within float32 rounding. */
    @Test
    void bf16GemvRoundsItsInput() {
        int rows = 40, cols = 256;
        Tensor w = LinearTest.heapWeights(DType.BF16, rows, cols, 8);
        float[] x = LinearTest.randoms(8 * cols, 9);
        Matmul.setPrecision(MatmulPrecision.BF16);
        float[] batch = LinearTest.apply(x, 8, w, null), one = LinearTest.apply(x, 1, w, null);
        for (int r = 0; r < rows; r++) {
            double mag = 0;
            for (int k = 0; k < cols; k++) mag += Math.abs((double) x[k] * w.get((long) r * cols + k));
            assertTrue(Math.abs(one[r] - batch[r]) <= 2e-6 * mag, "row " + r + ": " + one[r] + " vs " + batch[r]);
        }
    }

    /** oneDNN's results do not depend on the thread count either (oneDNN splits the rows and tokens, never a sum over k). */
    @Test
    void oneDnnIsBitIdenticalForAnyThreadCount() {
        Matmul.setChoice(Matmul.Choice.ONEDNN);
        Tensor w = LinearTest.heapWeights(DType.F32, 200, 300, 11);
        float[] x = LinearTest.randoms(70 * 300, 12);
        Parallel.setThreads(1);
        float[] one = LinearTest.apply(x, 70, w, null);
        Parallel.setThreads(2);
        assertArrayEquals(one, LinearTest.apply(x, 70, w, null));
    }
}
