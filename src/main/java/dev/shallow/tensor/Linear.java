package dev.shallow.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The product of a linear layer: y[t, r] = sum_k x[t, k] * W[r, k] + b[r] (nn.Linear, y = x W^T + b)
 * for T tokens, W of shape [rows, cols] in F32, F16, BF16 or a ggml block format ({@link QuantizedTensor}: Q8_0,
 * Q4_0, Q4_K, Q5_K, Q6_K), x and y in F32.
 *
 * <p>Determinism: every task computes a fixed set of outputs in a fixed order, so results are
 * bit-identical whatever the thread count. The GEMM (GEMM_MIN_TOKENS tokens or more) computes each
 * output as one chain of fused multiply-adds over k ascending, starting from zero, then adds the
 * bias: a token's result is the same bits in any GEMM batch. The GEMV (fewer tokens, decode) sums
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
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final VectorSpecies<Short> SH = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    static final VectorSpecies<Integer> SI = VectorSpecies.of(int.class, S.vectorShape());
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Below this many tokens, W is streamed from its segment per token instead of packed. */
    static final int GEMM_MIN_TOKENS = 4;
    /** GEMM register tile: MR tokens (2 vectors) x NR rows, 12 accumulators (see {@link #tile}). */
    static final int MR = 2 * L, NR = 6;
    /** k-block: the NR x KC micro-panel of W (9 KiB) stays in L1 while a block of tokens sweeps it. */
    static final int KC = 384;
    /** Tokens per block (a multiple of MR): its MC x KC piece of packed x (192 KiB) stays in L2; 96 measured slower. */
    static final int MC = 128;
    /**
     * Most rows per GEMM task (a multiple of NR): each MC x KC block of x is reused by all the panel's
     * row groups from L2 (their NR x KC micro-panels, 432 KiB, stay in L2 too).
     */
    static final int PANEL_ROWS = 288;
    /** GEMV task: rows per task (a multiple of 4, the rows per step of the long-row kernel). */
    static final int GEMV_ROWS = 32;
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

    /** y_i = x W_i^T + b_i for every i (all W_i with the same cols), all weights' tasks in one parallel pass. */
    public static void apply(float[] x, int tokens, Tensor[] ws, float[][] biases, float[][] ys) {
        int[] first = new int[ws.length + 1];
        int[] panel = new int[ws.length];
        int cols = ws[0].cols();
        for (int i = 0; i < ws.length; i++) {
            Tensor w = ws[i];
            int rows = w.rows();
            if (w.shape().length != 2 || w.cols() != cols) {
                throw new IllegalArgumentException("weights must be 2-D with " + cols + " columns, got " + java.util.Arrays.toString(w.shape()));
            }
            if (x.length < (long) tokens * cols) throw new IllegalArgumentException("x holds " + x.length + " floats, needs " + tokens + " x " + cols);
            if (ys[i].length < (long) tokens * rows) throw new IllegalArgumentException("y holds " + ys[i].length + " floats, needs " + tokens + " x " + rows);
            if (biases[i] != null && biases[i].length < rows) throw new IllegalArgumentException("bias holds " + biases[i].length + " floats, needs " + rows);
            panel[i] = tokens < GEMM_MIN_TOKENS ? GEMV_ROWS : panelRows(rows, cols);
            first[i + 1] = first[i] + (rows + panel[i] - 1) / panel[i];
        }
        float[] px = tokens < GEMM_MIN_TOKENS ? null : packActivations(x, tokens, cols, Scratch.local());
        float[] xsums = px == null ? subBlockSums(x, tokens, cols, ws) : null;
        Parallel.forEach(first[ws.length], task -> {
            int i = 0;
            while (task >= first[i + 1]) i++;
            Tensor w = ws[i];
            int r0 = (task - first[i]) * panel[i], r1 = Math.min(w.rows(), r0 + panel[i]);
            if (px == null) gemv(x, tokens, w, biases[i], ys[i], r0, r1, xsums);
            else gemm(px, tokens, w, biases[i], ys[i], r0, r1, Scratch.local());
        });
    }

    /**
     * x as the GEMM tiles read it, k-major per group g of MR tokens: x[g * MR + i, k] at
     * px[(g * cols + k) * MR + i]. A partial last group repeats its last token.
     */
    static float[] packActivations(float[] x, int tokens, int cols, Scratch s) {
        int groups = (tokens + MR - 1) / MR;
        float[] px = s.xpack(groups * MR * cols);
        Parallel.forEach(groups, g -> {
            for (int i = 0; i < MR; i++) {
                int from = Math.min(g * MR + i, tokens - 1) * cols, to = g * MR * cols + i;
                for (int k = 0; k < cols; k++) px[to + k * MR] = x[from + k];
            }
        });
        return px;
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

    /** Rows per GEMM task: a multiple of NR, at most PANEL_ROWS, small enough for 8+ tasks. */
    static int panelRows(int rows, int cols) {
        int fit = PANEL_ROWS;
        int spread = Math.max(NR, ((rows + 7) / 8 + NR - 1) / NR * NR);
        return Math.min(fit, spread);
    }

    /**
     * Rows [r0, r1) of y for every token. The panel of W is widened once into p, row-major per
     * k-block: W[r0 + j, k] at p[k0 * np + j * nk + k - k0] for the block [k0, k0 + nk) holding k (a
     * partial last group of NR rows repeats the last row: the copy computes the same values and is
     * not stored). Per block of MC tokens and KC columns, each NR x KC micro-panel of W (L1) is swept
     * by the block's MR x KC pieces of x (L2); the block's sums wait in acc between k-blocks.
     */
    private static void gemm(float[] px, int tokens, Tensor w, float[] bias, float[] y, int r0, int r1, Scratch s) {
        int rows = w.rows(), cols = w.cols(), n = r1 - r0;
        int np = (n + NR - 1) / NR * NR, tokenGroups = (tokens + MR - 1) / MR;
        float[] p = s.pack(np * cols), acc = s.acc(np * MC);
        for (int j = 0; j < np; j++) {
            long from = (long) (r0 + Math.min(j, n - 1)) * cols;
            if (w instanceof QuantizedTensor) { // the row's blocks decoded once, then laid out per k-block
                float[] row = s.row(cols);
                w.copyTo(from, row, 0, cols);
                for (int k0 = 0; k0 < cols; k0 += KC) System.arraycopy(row, k0, p, k0 * np + j * Math.min(KC, cols - k0), Math.min(KC, cols - k0));
                continue;
            }
            for (int k0 = 0; k0 < cols; k0 += KC) {
                int nk = Math.min(KC, cols - k0), to = k0 * np + j * nk;
                widen(w, from + k0, nk / L, p, to, L);
                for (int k = nk - nk % L; k < nk; k++) p[to + k] = w.get(from + k0 + k);
            }
        }
        for (int tg0 = 0; tg0 < tokenGroups; tg0 += MC / MR) {
            int tg1 = Math.min(tokenGroups, tg0 + MC / MR);
            for (int k0 = 0; k0 < cols; k0 += KC) {
                int nk = Math.min(KC, cols - k0);
                for (int j = 0; j < np; j += NR) {
                    for (int tg = tg0; tg < tg1; tg++) {
                        tile(px, (tg * cols + k0) * MR, p, k0 * np + j * nk, nk, acc, j * MC + (tg - tg0) * MR, k0 == 0);
                    }
                }
            }
            int t0 = tg0 * MR, t1 = Math.min(tokens, tg1 * MR);
            for (int t = t0; t < t1; t++) {
                int yo = t * rows + r0;
                if (bias == null) for (int j = 0; j < n; j++) y[yo + j] = acc[j * MC + t - t0];
                else for (int j = 0; j < n; j++) y[yo + j] = acc[j * MC + t - t0] + bias[r0 + j];
            }
        }
    }

    /**
     * The GEMM micro-kernel: MR = 2L tokens x NR = 6 W rows over nk columns, continuing (or, if
     * {@code fresh}, starting from zero) the 12 accumulators kept in acc: (row j, tokens i..i+L) at
     * acc[ao + j * MC + i]. Column k of the tokens is px[xo + MR * k ..], of row j p[po + j * nk + k].
     * Each sum is one chain of fused multiply-adds over k ascending: acc[t, r] = fma(x[t, k], W[r, k], acc).
     * Registers: 12 accumulators, 2 token vectors and a broadcast W element, 15 of the 16 ymm.
     */
    private static void tile(float[] px, int xo, float[] p, int po, int nk, float[] acc, int ao, boolean fresh) {
        FloatVector a0, a1, b0, b1, c0, c1, d0, d1, e0, e1, f0, f1;
        if (fresh) {
            a0 = a1 = b0 = b1 = c0 = c1 = d0 = d1 = e0 = e1 = f0 = f1 = FloatVector.zero(S);
        } else {
            a0 = FloatVector.fromArray(S, acc, ao);
            a1 = FloatVector.fromArray(S, acc, ao + L);
            b0 = FloatVector.fromArray(S, acc, ao + MC);
            b1 = FloatVector.fromArray(S, acc, ao + MC + L);
            c0 = FloatVector.fromArray(S, acc, ao + 2 * MC);
            c1 = FloatVector.fromArray(S, acc, ao + 2 * MC + L);
            d0 = FloatVector.fromArray(S, acc, ao + 3 * MC);
            d1 = FloatVector.fromArray(S, acc, ao + 3 * MC + L);
            e0 = FloatVector.fromArray(S, acc, ao + 4 * MC);
            e1 = FloatVector.fromArray(S, acc, ao + 4 * MC + L);
            f0 = FloatVector.fromArray(S, acc, ao + 5 * MC);
            f1 = FloatVector.fromArray(S, acc, ao + 5 * MC + L);
        }
        for (int k = 0; k < nk; k++) {
            FloatVector x0 = FloatVector.fromArray(S, px, xo + k * MR);
            FloatVector x1 = FloatVector.fromArray(S, px, xo + k * MR + L);
            FloatVector u = FloatVector.broadcast(S, p[po + k]);
            a0 = x0.fma(u, a0);
            a1 = x1.fma(u, a1);
            u = FloatVector.broadcast(S, p[po + nk + k]);
            b0 = x0.fma(u, b0);
            b1 = x1.fma(u, b1);
            u = FloatVector.broadcast(S, p[po + 2 * nk + k]);
            c0 = x0.fma(u, c0);
            c1 = x1.fma(u, c1);
            u = FloatVector.broadcast(S, p[po + 3 * nk + k]);
            d0 = x0.fma(u, d0);
            d1 = x1.fma(u, d1);
            u = FloatVector.broadcast(S, p[po + 4 * nk + k]);
            e0 = x0.fma(u, e0);
            e1 = x1.fma(u, e1);
            u = FloatVector.broadcast(S, p[po + 5 * nk + k]);
            f0 = x0.fma(u, f0);
            f1 = x1.fma(u, f1);
        }
        a0.intoArray(acc, ao);
        a1.intoArray(acc, ao + L);
        b0.intoArray(acc, ao + MC);
        b1.intoArray(acc, ao + MC + L);
        c0.intoArray(acc, ao + 2 * MC);
        c1.intoArray(acc, ao + 2 * MC + L);
        d0.intoArray(acc, ao + 3 * MC);
        d1.intoArray(acc, ao + 3 * MC + L);
        e0.intoArray(acc, ao + 4 * MC);
        e1.intoArray(acc, ao + 4 * MC + L);
        f0.intoArray(acc, ao + 5 * MC);
        f1.intoArray(acc, ao + 5 * MC + L);
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
     * The lanes of v summed by a fixed halving tree: lane i + L/2 added to lane i, then i + L/4, ..., to lane 0 (8 or 16 lanes
     * in registers, the first of 16 as the sum of the 256-bit halves; other lengths through an array).
     */
    public static float sumLanes(FloatVector v) {
        if (L == 16) return sum8(((FloatVector) v.reinterpretShape(FloatVector.SPECIES_256, 0)).add((FloatVector) v.reinterpretShape(FloatVector.SPECIES_256, 1)));
        if (L == 8) return sum8(v);
        float[] a = v.toArray();
        for (int h = L / 2; h > 0; h /= 2) {
            for (int i = 0; i < h; i++) a[i] += a[i + h];
        }
        return a[0];
    }

    /** The halving tree over the 8 lanes of v (the last steps of {@link #sumLanes}, in registers). */
    private static float sum8(FloatVector v) {
        float b0 = v.lane(0) + v.lane(4), b1 = v.lane(1) + v.lane(5), b2 = v.lane(2) + v.lane(6), b3 = v.lane(3) + v.lane(7);
        return (b0 + b2) + (b1 + b3);
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

    /** L weights starting at element index i, widened to F32. */
    private static FloatVector load(MemorySegment seg, int kind, long i) {
        if (kind == KIND_BF16) {
            // bf16 bits are the high half of the float32 bits
            return ShortVector.fromMemorySegment(SH, seg, i * 2, LE).convertShape(VectorOperators.S2I, SI, 0)
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
