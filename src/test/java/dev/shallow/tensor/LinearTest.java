package dev.shallow.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.function.IntFunction;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Linear.apply against a double-precision reference, and its determinism: the same bits for any
 * thread count, any GEMM batch size (GEMV within rounding), heap or memory-mapped weights.
 */
class LinearTest {
    static final DType[] DTYPES = {DType.F32, DType.BF16, DType.F16};
    /** Awkward sizes: not multiples of the vector length (8 or 16) or of the 4 x 3 tile. */
    static final int[] SIZES = {1, 3, 7, 17, 63, 100, 173};
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    final int defaultThreads = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(defaultThreads);
    }

    /** Random weights of a dtype, written as little-endian bytes into the segment that {@code alloc} gives. */
    static Tensor weights(DType dtype, int rows, int cols, long seed, IntFunction<MemorySegment> alloc) {
        Random rnd = new Random(seed);
        MemorySegment seg = alloc.apply(rows * cols * dtype.bytes);
        for (long i = 0; i < (long) rows * cols; i++) {
            float v = (float) rnd.nextGaussian();
            switch (dtype) {
                case F32 -> seg.setAtIndex(F32, i, v);
                case BF16 -> seg.setAtIndex(I16, i, BF16Tensor.fromFloat(v));
                case F16 -> seg.setAtIndex(I16, i, Float.floatToFloat16(v));
                default -> throw new IllegalArgumentException();
            }
        }
        return Tensor.of(dtype, seg, new long[] {rows, cols});
    }

    static Tensor heapWeights(DType dtype, int rows, int cols, long seed) {
        return weights(dtype, rows, cols, seed, n -> MemorySegment.ofArray(new byte[n]));
    }

    static float[] randoms(int n, long seed) {
        Random rnd = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    static float[] apply(float[] x, int tokens, Tensor w, float[] bias) {
        float[] y = new float[tokens * w.rows()];
        Linear.apply(x, tokens, w, bias, y);
        return y;
    }

    /**
     * Every output within 1e-6 * (sum_k |x[t, k]| |W[r, k]| + |b[r]|) of the float64 sum of the same (widened)
     * weights: float32 rounding of a sum of products in lane chains of length cols / L, a 3-level
     * tree and a tail of < L terms stays near sqrt(terms) * 2^-24 of that magnitude in practice,
     * 1/3 to 1/10 of the tolerance for these sizes.
     */
    @Test
    void matchesDoubleReferenceOnAwkwardShapes() {
        int checked = 0;
        for (DType dtype : DTYPES) {
            for (int rows : SIZES) {
                for (int cols : SIZES) {
                    for (int tokens : new int[] {1, 2, 3, 4, 7, 17}) {
                        long seed = rows * 1_000_003L + cols * 1009L + tokens;
                        Tensor w = heapWeights(dtype, rows, cols, seed);
                        float[] x = randoms(tokens * cols, seed + 1);
                        float[] bias = tokens % 2 == 0 ? randoms(rows, seed + 2) : null;
                        float[] y = apply(x, tokens, w, bias);
                        for (int t = 0; t < tokens; t++) {
                            for (int r = 0; r < rows; r++) {
                                double ref = bias == null ? 0 : bias[r], mag = Math.abs(ref);
                                for (int k = 0; k < cols; k++) {
                                    double p = (double) x[t * cols + k] * w.get((long) r * cols + k);
                                    ref += p;
                                    mag += Math.abs(p);
                                }
                                double err = Math.abs(y[t * rows + r] - ref);
                                if (!(err <= 1e-6 * mag)) {
                                    fail(dtype + " " + rows + "x" + cols + " tokens " + tokens + ": y = " + y[t * rows + r]
                                            + ", reference " + ref + ", error " + err + " > 1e-6 * " + mag);
                                }
                                checked++;
                            }
                        }
                    }
                }
            }
        }
        assertTrue(checked > 100_000);
    }

    /**
     * The GEMV (decode, < GEMM_MIN_TOKENS tokens) on both of its kernels, rows up to GEMV_ROW_COLS
     * columns one at a time and longer rows 4 at a time: within the same bound of the float64 sum, with
     * cols % L != 0 (a tail), rows % 4 != 0 (a partial group) and several tasks, the same bits for 1 to 3 threads.
     */
    @Test
    void gemvMatchesDoubleReferenceOnBothKernels() {
        for (DType dtype : DTYPES) {
            for (int cols : new int[] {Linear.GEMV_ROW_COLS - 3, Linear.GEMV_ROW_COLS, Linear.GEMV_ROW_COLS + 13, 5632}) {
                int rows = 39; // tasks of 4 rows (an eighth of them, rounded up to 4): 10 tasks, the last partial
                for (int tokens = 1; tokens < Linear.GEMM_MIN_TOKENS; tokens++) {
                    long seed = cols * 31L + tokens;
                    Tensor w = heapWeights(dtype, rows, cols, seed);
                    float[] x = randoms(tokens * cols, seed + 1), bias = tokens == 2 ? randoms(rows, seed + 2) : null;
                    Parallel.setThreads(1);
                    float[] y = apply(x, tokens, w, bias);
                    for (int t = 0; t < tokens; t++) {
                        for (int r = 0; r < rows; r++) {
                            double ref = bias == null ? 0 : bias[r], mag = Math.abs(ref);
                            for (int k = 0; k < cols; k++) {
                                double p = (double) x[t * cols + k] * w.get((long) r * cols + k); // y = sum_k x[t, k] W[r, k] + b[r]
                                ref += p;
                                mag += Math.abs(p);
                            }
                            assertTrue(Math.abs(y[t * rows + r] - ref) <= 1e-6 * mag, dtype + " cols " + cols + " tokens " + tokens + " t " + t + " r " + r);
                        }
                    }
                    for (int threads = 2; threads <= 3; threads++) {
                        Parallel.setThreads(threads);
                        assertArrayEquals(y, apply(x, tokens, w, bias), dtype + " cols " + cols + " tokens " + tokens + " threads " + threads);
                    }
                }
            }
        }
    }

    /** The same on GEMM-sized shapes (several panels and k-blocks, partial tiles at every edge). */
    @Test
    void matchesDoubleReferenceOnLargerShapes() {
        for (DType dtype : DTYPES) {
            int rows = 301, cols = 1100, tokens = 13;
            Tensor w = heapWeights(dtype, rows, cols, 42);
            float[] x = randoms(tokens * cols, 43), bias = randoms(rows, 44);
            float[] y = apply(x, tokens, w, bias);
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < rows; r++) {
                    double ref = bias[r], mag = Math.abs(ref);
                    for (int k = 0; k < cols; k++) {
                        double p = (double) x[t * cols + k] * w.get((long) r * cols + k);
                        ref += p;
                        mag += Math.abs(p);
                    }
                    assertTrue(Math.abs(y[t * rows + r] - ref) <= 1e-6 * mag, dtype + " t " + t + " r " + r);
                }
            }
        }
    }

    @Test
    void bitIdenticalForAnyThreadCount() {
        for (DType dtype : DTYPES) {
            for (int tokens : new int[] {1, 3, 4, 9, 64}) {
                Tensor w = heapWeights(dtype, 517, 300, tokens);
                float[] x = randoms(tokens * 300, 7), bias = randoms(517, 8);
                Parallel.setThreads(1);
                float[] one = apply(x, tokens, w, bias);
                for (int threads : new int[] {2, 3}) {
                    Parallel.setThreads(threads);
                    assertArrayEquals(one, apply(x, tokens, w, bias), dtype + " tokens " + tokens + " threads " + threads);
                }
            }
        }
    }

    /**
     * A token's output does not depend on the batch around it: any GEMM batch (>= GEMM_MIN_TOKENS
     * tokens) gives it the same bits. Decode (GEMV, < GEMM_MIN_TOKENS tokens) sums in another order
     * and agrees within rounding.
     */
    @Test
    void tokenResultIndependentOfBatch() {
        for (DType dtype : DTYPES) {
            for (int cols : new int[] {5, 64, 173, 1030}) {
                int rows = 101, tokens = 23;
                Tensor w = heapWeights(dtype, rows, cols, cols);
                float[] x = randoms(tokens * cols, 9), bias = randoms(rows, 10);
                float[] all = apply(x, tokens, w, bias);
                for (int n : new int[] {Linear.GEMM_MIN_TOKENS, 5, 7, 11}) {
                    for (int t0 = 0; t0 + n <= tokens; t0 += 3) {
                        float[] part = apply(java.util.Arrays.copyOfRange(x, t0 * cols, (t0 + n) * cols), n, w, bias);
                        assertArrayEquals(java.util.Arrays.copyOfRange(all, t0 * rows, (t0 + n) * rows), part, dtype + " cols " + cols + " tokens " + t0 + "+" + n);
                    }
                }
                for (int t = 0; t < tokens; t++) {
                    float[] alone = apply(java.util.Arrays.copyOfRange(x, t * cols, (t + 1) * cols), 1, w, bias);
                    for (int r = 0; r < rows; r++) {
                        float want = all[t * rows + r];
                        assertEquals(want, alone[r], 1e-4f * Math.max(1f, Math.abs(want)), dtype + " cols " + cols + " token " + t + " row " + r);
                    }
                }
            }
        }
    }
    @Test
    void mappedFileAndHeapWeightsGiveIdenticalResults(@TempDir Path dir) throws IOException {
        for (DType dtype : DTYPES) {
            int rows = 77, cols = 203;
            Tensor heap = heapWeights(dtype, rows, cols, 5);
            Path file = dir.resolve(dtype + ".bin");
            Files.write(file, heap.segment().toArray(ValueLayout.JAVA_BYTE));
            try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                Tensor w = Tensor.of(dtype, mapped, new long[] {rows, cols});
                for (int tokens : new int[] {1, 2, 5, 33}) {
                    float[] x = randoms(tokens * cols, tokens);
                    assertArrayEquals(apply(x, tokens, heap, null), apply(x, tokens, w, null), dtype + " tokens " + tokens);
                }
            }
        }
    }

    @Test
    void productsInOnePassEqualEachApplied() {
        for (int tokens : new int[] {1, 6}) {
            Tensor gate = heapWeights(DType.BF16, 70, 48, 1), up = heapWeights(DType.BF16, 70, 48, 2);
            float[] x = randoms(tokens * 48, 3), bias = randoms(70, 4), yg = new float[tokens * 70], yu = new float[tokens * 70];
            Linear.apply(x, tokens, new Tensor[] {gate, up}, new float[][] {bias, null}, new float[][] {yg, yu});
            assertArrayEquals(apply(x, tokens, gate, bias), yg);
            assertArrayEquals(apply(x, tokens, up, null), yu);
        }
    }

    /**
     * The vector widening of every half and bfloat16 bit pattern equals the scalar conversion, bit for
     * bit; a half NaN stays a NaN with its payload (the scalar intrinsic also sets the quiet bit).
     */
    @Test
    void widensEveryHalfAndBfloat16Exactly() {
        MemorySegment seg = MemorySegment.ofArray(new byte[2 << 16]);
        for (int i = 0; i < 1 << 16; i++) seg.setAtIndex(I16, i, (short) i);
        float[] out = new float[1 << 16];
        Linear.widen(Tensor.of(DType.F16, seg, new long[] {1 << 16}), 0, (1 << 16) / Linear.L, out, 0, Linear.L);
        for (int i = 0; i < 1 << 16; i++) {
            float expected = Float.float16ToFloat((short) i);
            int mask = Float.isNaN(expected) ? ~0x0040_0000 : ~0;
            assertEquals(Float.floatToRawIntBits(expected) & mask, Float.floatToRawIntBits(out[i]) & mask, "half 0x" + Integer.toHexString(i));
        }
        Linear.widen(Tensor.of(DType.BF16, seg, new long[] {1 << 16}), 0, (1 << 16) / Linear.L, out, 0, Linear.L);
        for (int i = 0; i < 1 << 16; i++) assertEquals(i << 16, Float.floatToRawIntBits(out[i]), "bf16 0x" + Integer.toHexString(i));
    }

    /**
     * sumLanes is the halving tree written out (lane i + n/2 to lane i, then i + n/4, ... to lane 0), bit for bit, on 16, 8
     * and 4 lanes, with values of mixed magnitude and sign where another order rounds differently.
     */
    @Test
    void sumLanesIsTheHalvingTree() {
        Random r = new Random(3);
        int differentFromInOrder = 0;
        for (VectorSpecies<Float> species : List.of(FloatVector.SPECIES_512, FloatVector.SPECIES_256, FloatVector.SPECIES_128)) {
            for (int trial = 0; trial < 2000; trial++) {
                float[] a = new float[species.length()];
                for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 4));
                float[] tree = a.clone();
                for (int h = tree.length / 2; h > 0; h /= 2) for (int i = 0; i < h; i++) tree[i] += tree[i + h];
                float inOrder = 0;
                for (float v : a) inOrder += v;
                if (inOrder != tree[0]) differentFromInOrder++;
                assertEquals(Float.floatToRawIntBits(tree[0]), Float.floatToRawIntBits(Linear.sumLanes(FloatVector.fromArray(species, a, 0))),
                        species + " " + java.util.Arrays.toString(a));
            }
        }
        assertTrue(differentFromInOrder > 100, "the values must tell the tree from the plain order: " + differentFromInOrder);
    }

    /**
     * A GEMV share's tail task holds GEMV_TASK_BYTES of rows (rounded up to 4 rows) unless that is more than an eighth of the weight's rows;
     * always a multiple of 4 and at least 4 rows.
     */
    @Test
    void gemvTasksHoldAboutAQuarterMebibyte() {
        int cols = 512;
        for (DType t : new DType[] {DType.F32, DType.BF16, DType.Q8_0, DType.Q4_K}) {
            long rowBytes = t.byteSize(cols);
            for (int rows : new int[] {1, 7, 33, 256, 2048, 8192}) {
                int n = Linear.gemvRows(Tensor.of(t, MemorySegment.ofArray(new byte[(int) (rows * rowBytes)]), new long[] {rows, cols}));
                String what = t + ", " + rows + " rows: " + n + " per task";
                assertTrue(n >= 4 && n % 4 == 0, what);
                assertTrue(n <= Math.max(4, (rows / 8 + 3) / 4 * 4), what);
                assertTrue(n * rowBytes < Linear.GEMV_TASK_BYTES + 4 * rowBytes, what);
                assertTrue(n * rowBytes >= Linear.GEMV_TASK_BYTES || n >= rows / 8, what);
            }
        }
    }
}
