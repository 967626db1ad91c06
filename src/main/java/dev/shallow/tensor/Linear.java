package dev.shallow.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The product of a linear layer: y[t, r] = sum_k x[t, k] * W[r, k] + b[r] (nn.Linear, y = x W^T + b)
 * for T tokens, W of shape [rows, cols] in F32, F16, BF16 or a ggml block format ({@link QuantizedTensor}: Q8_0,
 * Q4_0, Q4_K, Q5_K, Q6_K), x and y in F32.
 *
 * <p>Determinism: every task computes a fixed set of outputs in a fixed order, so results are
 * bit-identical whatever the thread count. The GEMM (GEMM_MIN_TOKENS tokens or more) runs on
 * {@link Matmul}; on the Vector API ({@link VectorGemm}, the default for f32) it computes each
 * output as one chain of fused multiply-adds over k ascending, starting from zero, then adds the
 * bias: a token's result is the same bits in any GEMM batch and for either vector width (oneDNN,
 * chosen for bf16 or with --matmul onednn, promises neither). The GEMV (fewer tokens, decode) sums
 * each output in vector chains over k (four over consecutive vectors, added pairwise, up to
 * GEMV_ROW_COLS columns; one above), adds the L lanes by a fixed halving tree, fuses the remaining
 * cols % L products, then adds the bias: it agrees with the GEMM within rounding, not bit for bit.
 *
 * <p>Quantized W: the GEMM decodes each panel row once (exactly, as ggml's dequantize_row_*) into the
 * float pack, so its results are those of the same weights decoded to F32, bit for bit. The GEMV reads
 * the blocks directly, one row at a time: per sub-block the integer quants widened to float lanes are
 * multiplied into a vector chain over x, scaled once by the sub-block's scale into the row's chain
 * (and its min times the sub-block's sum of x, computed once per call, subtracted), in the order
 * {@link Quants#dot} documents.
 */
public final class Linear {
    /**
     * The float vectors of the tensor kernels (matmuls, norms, quantized dots, activations): the CPU's
     * preferred ones (512-bit with AVX-512, 256-bit with AVX2), or narrower ones named by the system
     * property shallow.vector.bits (256 runs the AVX2 kernels on an AVX-512 machine; a width above the
     * preferred one is ignored). Attention keeps the preferred width.
     */
    static final VectorSpecies<Float> S = species(Integer.getInteger("shallow.vector.bits", 0));
    static final int L = S.length();
    static final VectorSpecies<Short> SH = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    static final VectorSpecies<Integer> SI = VectorSpecies.of(int.class, S.vectorShape());
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Below this many tokens, W is streamed from its segment per token (GEMV); from this many on, {@link Matmul}'s GEMM. */
    public static final int GEMM_MIN_TOKENS = 4;
    /**
     * A GEMV share's tail task: about this many weight bytes. Each task starts a new stream whose first lines arrive before the
     * prefetchers have caught up: 70 KB tasks (32 rows of a 2048-column Q8_0 weight) ran KernelBench's Q8_0 GEMVs at
     * 21-25 GB/s, 278 KB ones at 29-37.
     */
    static final long GEMV_TASK_BYTES = 256 << 10;
    /**
     * The longest rows the GEMV streams one at a time (x, 16 KiB, then stays in L1 beside the stream);
     * measured 1.5-2x faster than 4 rows at once at 2048-4096 columns, 20% slower at 5632.
     */
    static final int GEMV_ROW_COLS = 4096;

    private static final int KIND_F32 = 0, KIND_BF16 = 1, KIND_F16 = 2;

    private Linear() {
    }

    /**
     * @param x      [tokens, cols] row-major
     * @param w      [rows, cols]
     * @param bias   [rows] or null
     * @param y      [tokens, rows] row-major, overwritten
     */
    public static void apply(float[] x, int tokens, Tensor w, float[] bias, float[] y) {
        apply(x, tokens, new Tensor[] {w}, new float[][] {bias}, new float[][] {y});
    }

    /**
     * y_i = x W_i^T + b_i for every i (all W_i with the same cols), all weights' tasks in one parallel
     * pass; x rounded to {@link Matmul#precision()} first.
     */
    public static void apply(float[] x, int tokens, Tensor[] ws, float[][] biases, float[][] ys) {
        Matmul.checkShapes(x, tokens, ws, biases, ys);
        int cols = ws[0].cols();
        if (tokens >= GEMM_MIN_TOKENS) {
            Matmul.gemm(x, tokens, ws, biases, ys);
            return;
        }
        float[] xr = Matmul.precision().round(x, tokens * cols);
        float[] xsums = subBlockSums(xr, tokens, cols, ws);
        // each thread streams three quarters of its share of every weight in one run (the cut never changes a result: each
        // output is one row's sum); against tasks of about 256 KiB alone, TinyLlama's GGUF decode in three alternating runs:
        // Q8_0 23.1-26.1 -> 26.1-28.2 tok/s, BF16 13.1-13.9 -> 14.0-14.7
        RowTasks.shares(ws, Parallel.threads(), i -> gemvRows(ws[i])).forEach((i, r0, r1) -> gemv(xr, tokens, ws[i], biases[i], ys[i], r0, r1, xsums));
    }

    /**
     * Rows per task of the tail of a GEMV share ({@link RowTasks#shares}): {@link #GEMV_TASK_BYTES} of its rows, but at most
     * an eighth of them, a multiple of 4 (the rows per step of the long-row kernel).
     */
    static int gemvRows(Tensor w) {
        long rowBytes = w.dtype().byteSize(w.cols());
        long rows = Math.min((GEMV_TASK_BYTES + rowBytes - 1) / rowBytes, w.rows() / 8);
        return (int) Math.max(4, (rows + 3) / 4 * 4);
    }

    /** For a GEMV with a weight in a format with mins: each token's sums of x per 32 columns ({@link Quants#subBlockSums}), else null. */
    private static float[] subBlockSums(float[] x, int tokens, int cols, Tensor[] ws) {
        for (Tensor w : ws) {
            if (w instanceof QuantizedTensor && Quants.needsSubBlockSums(Quants.kind(w.dtype()))) {
                float[] sums = new float[tokens * (cols / 32)];
                for (int t = 0; t < tokens; t++) Quants.subBlockSums(x, t * cols, cols, sums, t * (cols / 32));
                return sums;
            }
        }
        return null;
    }

    /**
     * Rows [r0, r1) of y for each of a few tokens, W streamed from its segment (no packing). Up to
     * GEMV_ROW_COLS columns, one row at a time: the task reads one contiguous stream, which the
     * hardware prefetchers follow best, while the token's x stays in L1. Longer rows go 4 at a time,
     * so that each vector of x (no longer held in L1 beside the stream) serves 4 rows.
     */
    private static void gemv(float[] x, int tokens, Tensor w, float[] bias, float[] y, int r0, int r1, float[] xsums) {
        if (w instanceof QuantizedTensor q) {
            gemvBlocks(x, tokens, q, bias, y, r0, r1, xsums);
            return;
        }
        int rows = w.rows(), cols = w.cols(), kind = kind(w), step = cols <= GEMV_ROW_COLS ? 1 : 4;
        MemorySegment seg = w.segment();
        float[] sums = new float[4];
        for (int r = r0; r < r1; r += step) {
            for (int t = 0; t < tokens; t++) {
                if (step == 1) sums[0] = dot(x, t * cols, seg, kind, (long) r * cols, cols);
                // a partial group repeats its last row: the copy computes the same value and is not stored
                else dot4(x, t * cols, seg, kind, r, Math.min(r + 1, r1 - 1), Math.min(r + 2, r1 - 1), Math.min(r + 3, r1 - 1), cols, sums);
                for (int j = 0; j < step && r + j < r1; j++) {
                    float sum = sums[j];
                    long wr = (long) (r + j) * cols;
                    for (int k = cols - cols % L; k < cols; k++) sum = Math.fma(x[t * cols + k], w.get(wr + k), sum); // the cols % L tail
                    y[t * rows + r + j] = bias == null ? sum : sum + bias[r + j];
                }
            }
        }
    }

    /** Quantized rows [r0, r1) of y for each of a few tokens: {@link Quants#dot} over each row's blocks, then the bias. */
    private static void gemvBlocks(float[] x, int tokens, QuantizedTensor w, float[] bias, float[] y, int r0, int r1, float[] xsums) {
        int rows = w.rows(), cols = w.cols(), kind = Quants.kind(w.dtype()), blocks = cols / w.dtype().block;
        long rowBytes = w.dtype().byteSize(cols);
        MemorySegment seg = w.segment();
        for (int r = r0; r < r1; r++) {
            for (int t = 0; t < tokens; t++) {
                float sum = Quants.dot(kind, seg, r * rowBytes, blocks, x, t * cols, xsums, t * (cols / 32));
                y[t * rows + r] = bias == null ? sum : sum + bias[r];
            }
        }
    }

    /**
     * sum_k x[xo + k] * W[wr + k] over the whole vectors of a row, k in [0, cols - cols % L): four
     * vector chains over consecutive vectors (chain j takes vectors j, j + 4, ..., the leftover ones
     * go to chain 0), added as (a + b) + (c + d), then lanes by {@link #sumLanes}.
     */
    private static float dot(float[] x, int xo, MemorySegment seg, int kind, long wr, int cols) {
        int kv = cols - cols % L, k4 = cols - cols % (4 * L), k = 0;
        FloatVector a = FloatVector.zero(S), b = a, c = a, d = a;
        for (; k < k4; k += 4 * L) { // chain j += W[r, k + jL ..] * x[k + jL ..], lane-wise
            a = load(seg, kind, wr + k).fma(FloatVector.fromArray(S, x, xo + k), a);
            b = load(seg, kind, wr + k + L).fma(FloatVector.fromArray(S, x, xo + k + L), b);
            c = load(seg, kind, wr + k + 2 * L).fma(FloatVector.fromArray(S, x, xo + k + 2 * L), c);
            d = load(seg, kind, wr + k + 3 * L).fma(FloatVector.fromArray(S, x, xo + k + 3 * L), d);
        }
        for (; k < kv; k += L) a = load(seg, kind, wr + k).fma(FloatVector.fromArray(S, x, xo + k), a);
        return sumLanes(a.add(b).add(c.add(d)));
    }

    /** The same over rows ra..rd at once, one vector chain per row; their sums to sums[0 .. 4). */
    private static void dot4(float[] x, int xo, MemorySegment seg, int kind, int ra, int rb, int rc, int rd, int cols, float[] sums) {
        long wa = (long) ra * cols, wb = (long) rb * cols, wc = (long) rc * cols, wd = (long) rd * cols;
        FloatVector a = FloatVector.zero(S), b = a, c = a, d = a;
        for (int k = 0, kv = cols - cols % L; k < kv; k += L) {
            FloatVector u = FloatVector.fromArray(S, x, xo + k);
            a = load(seg, kind, wa + k).fma(u, a); // row chain += W[r, k ..] * x[k ..], lane-wise
            b = load(seg, kind, wb + k).fma(u, b);
            c = load(seg, kind, wc + k).fma(u, c);
            d = load(seg, kind, wd + k).fma(u, d);
        }
        sums[0] = sumLanes(a);
        sums[1] = sumLanes(b);
        sums[2] = sumLanes(c);
        sums[3] = sumLanes(d);
    }

    /** y[yo + i] += a * x[xo + i] for i in [0, n). */
    public static void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector av = FloatVector.broadcast(S, a);
        int i = 0, upper = S.loopBound(n);
        for (; i < upper; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).fma(av, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += a * x[xo + i];
    }

    /**
     * The n lanes of v (any species) summed by a fixed halving tree: lane i + n/2 added to lane i, then i + n/4, ..., to lane 0.
     * 16 and 8 lanes in registers, each step a lane permutation (rotating by h) and an add (taking the upper half to a
     * 256-bit vector and reading lanes one by one ran on the Vector API's Java fallback: a third of the Q4_K GEMV's time);
     * other lengths through an array.
     */
    public static float sumLanes(FloatVector v) {
        int n = v.length();
        if (n == 16) return lastSteps(v.add(v.rearrange(R16_8)), R16_4, R16_2, R16_1);
        if (n == 8) return lastSteps(v, R8_4, R8_2, R8_1);
        float[] a = v.toArray();
        for (int h = n / 2; h > 0; h /= 2) {
            for (int i = 0; i < h; i++) a[i] += a[i + h];
        }
        return a[0];
    }

    /** The halving tree's steps over 8 lanes (lane i + 4 to lane i, then i + 2, i + 1), each rotation given; lane 0. */
    private static float lastSteps(FloatVector v, VectorShuffle<Float> by4, VectorShuffle<Float> by2, VectorShuffle<Float> by1) {
        v = v.add(v.rearrange(by4));
        v = v.add(v.rearrange(by2));
        return v.add(v.rearrange(by1)).lane(0);
    }

    /** Rn_h: lane i of an n-lane float vector takes lane (i + h) mod n. */
    private static final VectorShuffle<Float> R16_8 = rotation(FloatVector.SPECIES_512, 8), R16_4 = rotation(FloatVector.SPECIES_512, 4),
            R16_2 = rotation(FloatVector.SPECIES_512, 2), R16_1 = rotation(FloatVector.SPECIES_512, 1),
            R8_4 = rotation(FloatVector.SPECIES_256, 4), R8_2 = rotation(FloatVector.SPECIES_256, 2), R8_1 = rotation(FloatVector.SPECIES_256, 1);

    private static VectorShuffle<Float> rotation(VectorSpecies<Float> species, int h) {
        return VectorShuffle.fromOp(species, i -> (i + h) % species.length());
    }

    /** W elements [from, from + nv * L) widened to F32: vector v (L elements) to dst[off + v * stride ..]. */
    static void widen(Tensor w, long from, int nv, float[] dst, int off, int stride) {
        MemorySegment seg = w.segment();
        int kind = kind(w);
        for (int v = 0; v < nv; v++) load(seg, kind, from + (long) v * L).intoArray(dst, off + v * stride);
    }

    private static int kind(Tensor w) {
        return switch (w) {
            case F32Tensor _ -> KIND_F32;
            case BF16Tensor _ -> KIND_BF16;
            case F16Tensor _ -> KIND_F16;
            case QuantizedTensor q -> throw new IllegalArgumentException(q.dtype() + " is decoded by blocks, not widened");
        };
    }

    /** The float species of {@code bits} bits if narrower than the preferred one, else the preferred one. */
    private static VectorSpecies<Float> species(int bits) {
        VectorSpecies<Float> preferred = FloatVector.SPECIES_PREFERRED;
        return bits <= 0 || bits >= preferred.vectorBitSize() ? preferred : VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }

    /** L weights starting at element index i, widened to F32. */
    private static FloatVector load(MemorySegment seg, int kind, long i) {
        if (kind == KIND_BF16) {
            // bf16 bits are the high half of the float32 bits. The cast to IntVector is needed: without it C2 (JDK 25.0.3)
            // took convertShape's return-type profile, filled with FloatVectors by the Q8_0 dot's B2F, for this call's
            // receiver and died compiling this method ("fatal error: LSHIFT: float") when BF16 GEMVs followed Q8_0 ones
            return ((IntVector) ShortVector.fromMemorySegment(SH, seg, i * 2, LE).convertShape(VectorOperators.S2I, SI, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
        }
        if (kind == KIND_F16) return f16((IntVector) ShortVector.fromMemorySegment(SH, seg, i * 2, LE).convertShape(VectorOperators.S2I, SI, 0));
        return FloatVector.fromMemorySegment(S, seg, i * 4, LE);
    }

    /** IEEE half bits (the low 16 bits of each int lane) -> float32, exact for every value. */
    private static FloatVector f16(IntVector h) {
        IntVector mag = h.and(0x7FFF), shifted = mag.lanewise(VectorOperators.LSHL, 13);
        // exponent and mantissa in float32 position, scaled by 2^(127 - 15): exact for normal and subnormal halves
        FloatVector finite = shifted.reinterpretAsFloats().mul(0x1p112f);
        // exponent 31 (inf, nan): float32 exponent all ones, mantissa kept
        IntVector bits = finite.reinterpretAsInts().blend(shifted.or(0x7F800000), mag.compare(VectorOperators.GE, 0x7C00));
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }
}
