package dev.shallow.tensor;

import static dev.shallow.tensor.Linear.L;
import static dev.shallow.tensor.Linear.S;

import jdk.incubator.vector.FloatVector;

/**
 * The GEMM on the Vector API: x packed k-major in groups of MR tokens, each task's panel of W
 * widened once to float32, a register tile of MR tokens x NR rows swept over k-blocks.
 *
 * <p>The tile is sized from the species ({@link Linear#S}): with 512-bit vectors (AVX-512, 32 zmm
 * registers) 2 token vectors x 12 rows = 24 accumulators + 2 token vectors + 1 broadcast = 27
 * registers; with 256-bit ones (AVX2, 16 ymm) 2 x 6 = 12 accumulators, 15 registers. Each output is
 * one chain of fused multiply-adds over k ascending from zero whatever the tile, so both tiles, any
 * thread count and any batch give the same bits for a token.
 */
public final class VectorGemm implements MatmulBackend {
    static final VectorGemm INSTANCE = new VectorGemm();

    /** Tokens per register tile: 2 vectors. */
    static final int MR = 2 * L;
    /** W rows per register tile: 12 with 32 vector registers (512-bit species), 6 with 16. */
    static final int NR = S.vectorBitSize() >= 512 ? 12 : 6;
    /** k-block: the NR x KC micro-panel of W (9 KiB at NR = 6, 18 KiB at 12) stays in L1 while a block of tokens sweeps it. */
    static final int KC = 384;
    /** Tokens per block (a multiple of MR): its MC x KC piece of packed x (192 KiB) stays in L2; 96 measured slower. */
    static final int MC = 128;
    /**
     * Most rows per GEMM task (a multiple of NR): each MC x KC block of x is reused by all the panel's
     * row groups from L2 (their micro-panels, 432 KiB, stay in L2 too).
     */
    static final int PANEL_ROWS = 288;

    private VectorGemm() {
    }

    @Override
    public String name() {
        return "Vector API " + S.vectorBitSize() + "-bit";
    }

    @Override
    public void gemm(float[] x, int tokens, Tensor[] ws, float[][] biases, float[][] ys, MatmulPrecision precision) {
        if (ws.length == 1 && biases[0] == null && thin(ws[0].rows(), tokens)) {
            swapped(x, tokens, ws[0], false, ys[0], precision);
            return;
        }
        float[] px = packActivations(x, tokens, ws[0].cols(), precision, Scratch.local());
        RowTasks.of(ws, i -> panelRows(ws[i].rows())).forEach((i, r0, r1) -> panel(px, tokens, ws[i], false, biases[i], ys[i], r0, r1, Scratch.local()));
    }

    @Override
    public void gemmUntransposed(float[] x, int tokens, Tensor w, float[] y, MatmulPrecision precision) {
        if (thin(w.cols(), tokens)) {
            swapped(x, tokens, w, true, y, precision);
            return;
        }
        float[] px = packActivations(x, tokens, w.rows(), precision, Scratch.local());
        int outputs = w.cols();
        RowTasks.of(new int[] {outputs}, i -> panelRows(outputs)).forEach((i, c0, c1) -> panel(px, tokens, w, true, null, y, c0, c1, Scratch.local()));
    }

    /** A product with at most one group of MR outputs (a LoRA adapter's rank side) over more tokens than that. */
    private static boolean thin(int outputs, int tokens) {
        return outputs <= MR && tokens > MR;
    }

    /**
     * A thin product with the roles swapped, y^T = W' round(x)^T with W' = W's outputs as rows (W, or W^T when
     * untransposed): W' goes through the tiles as the activations (one group of MR) and round(x) as the weights, so the
     * tokens are the rows the tasks split and x is copied, not transposed, into the panels. Each output is the same chain
     * of fused multiply-adds over k ascending (fma(a, b, c) = fma(b, a, c)) as the product without the swap: the same bits.
     */
    private void swapped(float[] x, int tokens, Tensor w, boolean untransposed, float[] y, MatmulPrecision precision) {
        int outputs = untransposed ? w.cols() : w.rows(), k = untransposed ? w.rows() : w.cols();
        float[] wf = new float[outputs * k], a = untransposed ? new float[outputs * k] : wf, yt = new float[outputs * tokens];
        w.copyTo(0, wf, 0, wf.length);
        if (untransposed) for (int r = 0; r < k; r++) for (int j = 0; j < outputs; j++) a[j * k + r] = wf[r * outputs + j];
        gemm(a, outputs, new Tensor[] {Tensor.ofFloats(precision.round(x, tokens * k), tokens, k)}, new float[][] {null}, new float[][] {yt},
                MatmulPrecision.F32);
        for (int t = 0; t < tokens; t++) for (int j = 0; j < outputs; j++) y[t * outputs + j] = yt[j * tokens + t];
    }

    /**
     * x as the tiles read it, rounded to the precision, k-major per group g of MR tokens: x[g * MR + i, k] at
     * px[(g * cols + k) * MR + i]. A partial last group repeats its last token.
     */
    static float[] packActivations(float[] x, int tokens, int cols, MatmulPrecision precision, Scratch s) {
        int groups = (tokens + MR - 1) / MR;
        float[] px = s.xpack(groups * MR * cols), xr = precision.round(x, tokens * cols);
        Parallel.forEach(groups, g -> {
            for (int i = 0; i < MR; i++) {
                int from = Math.min(g * MR + i, tokens - 1) * cols, to = g * MR * cols + i;
                for (int k = 0; k < cols; k++) px[to + k * MR] = xr[from + k];
            }
        });
        return px;
    }

    /** Rows per task: a multiple of NR, at most PANEL_ROWS, small enough for 8+ tasks. */
    static int panelRows(int rows) {
        int spread = Math.max(NR, ((rows + 7) / 8 + NR - 1) / NR * NR);
        return Math.min(PANEL_ROWS, spread);
    }

    /**
     * Outputs [r0, r1) of y for every token: of x W^T (rows of W), or with {@code untransposed} of x W (columns of W).
     * The panel of W is widened once into p, per k-block: element (output r0 + j, reduction index k) at
     * p[k0 * np + j * nk + k - k0] for the block [k0, k0 + nk) holding k (a partial last group of NR outputs
     * repeats the last one: the copy computes the same values and is not stored). Per block of MC tokens and KC
     * columns, each NR x KC micro-panel of W (L1) is swept by the block's MR x KC pieces of x (L2); the block's
     * sums wait in acc between k-blocks.
     */
    private static void panel(float[] px, int tokens, Tensor w, boolean untransposed, float[] bias, float[] y, int r0, int r1, Scratch s) {
        int rows = untransposed ? w.cols() : w.rows(), cols = untransposed ? w.rows() : w.cols(), n = r1 - r0;
        int np = (n + NR - 1) / NR * NR, tokenGroups = (tokens + MR - 1) / MR;
        float[] p = s.pack(np * cols), acc = s.acc(np * MC);
        if (untransposed) packColumns(w, r0, n, np, p, s);
        else packRows(w, r0, n, np, p, s);
        for (int tg0 = 0; tg0 < tokenGroups; tg0 += MC / MR) {
            int tg1 = Math.min(tokenGroups, tg0 + MC / MR);
            for (int k0 = 0; k0 < cols; k0 += KC) {
                int nk = Math.min(KC, cols - k0);
                for (int j = 0; j < np; j += NR) {
                    for (int tg = tg0; tg < tg1; tg++) {
                        int xo = (tg * cols + k0) * MR, po = k0 * np + j * nk, ao = j * MC + (tg - tg0) * MR;
                        if (NR == 12) tile12(px, xo, p, po, nk, acc, ao, k0 == 0);
                        else tile6(px, xo, p, po, nk, acc, ao, k0 == 0);
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

    /** p(j, k) = W[r0 + j, k]: each of the panel's rows of W widened (or its blocks decoded) once, laid out per k-block. */
    private static void packRows(Tensor w, int r0, int n, int np, float[] p, Scratch s) {
        int cols = w.cols();
        for (int j = 0; j < np; j++) {
            long from = (long) (r0 + Math.min(j, n - 1)) * cols;
            if (w instanceof QuantizedTensor) { // the row's blocks decoded once, then laid out per k-block
                float[] row = s.row(cols);
                w.copyTo(from, row, 0, cols);
                for (int k0 = 0; k0 < cols; k0 += KC) System.arraycopy(row, k0, p, k0 * np + j * Math.min(KC, cols - k0), Math.min(KC, cols - k0));
                continue;
            }
            for (int k0 = 0; k0 < cols; k0 += KC) widen(w, from + k0, Math.min(KC, cols - k0), p, k0 * np + j * Math.min(KC, cols - k0));
        }
    }

    /**
     * p(j, k) = W[k, c0 + j] (the untransposed product, W [reduction, outputs]): row k of W read once over the panel's
     * n columns, scattered to the micro-panels at stride nk (the np lines written per k stay in L1 until filled).
     */
    private static void packColumns(Tensor w, int c0, int n, int np, float[] p, Scratch s) {
        int reduction = w.rows(), width = w.cols(), whole = Math.min(width - c0, (n + L - 1) / L * L); // whole vectors but at W's edge
        float[] row = s.row(whole);
        for (int k = 0; k < reduction; k++) {
            widen(w, (long) k * width + c0, whole, row, 0);
            int k0 = k / KC * KC, nk = Math.min(KC, reduction - k0), to = k0 * np + k - k0;
            for (int j = 0; j < np; j++) p[to + j * nk] = row[Math.min(j, n - 1)];
        }
    }

    /** dst[off ..] = W's elements [from, from + count) as float32: vector loads, the tail (and block formats) element-wise or by blocks. */
    private static void widen(Tensor w, long from, int count, float[] dst, int off) {
        if (w instanceof QuantizedTensor) {
            w.copyTo(from, dst, off, count);
            return;
        }
        Linear.widen(w, from, count / L, dst, off, L);
        for (int k = count - count % L; k < count; k++) dst[off + k] = w.get(from + k);
    }

    /**
     * The 256-bit micro-kernel: MR = 2L tokens x 6 W rows over nk columns, continuing (or, if
     * {@code fresh}, starting from zero) the 12 accumulators kept in acc: (row j, tokens i..i+L) at
     * acc[ao + j * MC + i]. Column k of the tokens is px[xo + MR * k ..], of row j p[po + j * nk + k].
     * Each sum is one chain of fused multiply-adds over k ascending: acc[t, r] = fma(x[t, k], W[r, k], acc).
     * Registers: 12 accumulators, 2 token vectors and a broadcast W element, 15 of the 16 ymm.
     */
    private static void tile6(float[] px, int xo, float[] p, int po, int nk, float[] acc, int ao, boolean fresh) {
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
     * The 512-bit micro-kernel: as {@link #tile6} with 12 W rows, 24 accumulators (row j, tokens i..i+L)
     * at acc[ao + j * MC + i]; with 2 token vectors and a broadcast W element, 27 of the 32 zmm.
     */
    private static void tile12(float[] px, int xo, float[] p, int po, int nk, float[] acc, int ao, boolean fresh) {
        FloatVector a0, a1, b0, b1, c0, c1, d0, d1, e0, e1, f0, f1, g0, g1, h0, h1, i0, i1, j0, j1, k0, k1, l0, l1;
        if (fresh) {
            a0 = a1 = b0 = b1 = c0 = c1 = d0 = d1 = e0 = e1 = f0 = f1 = g0 = g1 = h0 = h1 = i0 = i1 = j0 = j1 = k0 = k1 = l0 = l1 = FloatVector.zero(S);
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
            g0 = FloatVector.fromArray(S, acc, ao + 6 * MC);
            g1 = FloatVector.fromArray(S, acc, ao + 6 * MC + L);
            h0 = FloatVector.fromArray(S, acc, ao + 7 * MC);
            h1 = FloatVector.fromArray(S, acc, ao + 7 * MC + L);
            i0 = FloatVector.fromArray(S, acc, ao + 8 * MC);
            i1 = FloatVector.fromArray(S, acc, ao + 8 * MC + L);
            j0 = FloatVector.fromArray(S, acc, ao + 9 * MC);
            j1 = FloatVector.fromArray(S, acc, ao + 9 * MC + L);
            k0 = FloatVector.fromArray(S, acc, ao + 10 * MC);
            k1 = FloatVector.fromArray(S, acc, ao + 10 * MC + L);
            l0 = FloatVector.fromArray(S, acc, ao + 11 * MC);
            l1 = FloatVector.fromArray(S, acc, ao + 11 * MC + L);
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
            u = FloatVector.broadcast(S, p[po + 6 * nk + k]);
            g0 = x0.fma(u, g0);
            g1 = x1.fma(u, g1);
            u = FloatVector.broadcast(S, p[po + 7 * nk + k]);
            h0 = x0.fma(u, h0);
            h1 = x1.fma(u, h1);
            u = FloatVector.broadcast(S, p[po + 8 * nk + k]);
            i0 = x0.fma(u, i0);
            i1 = x1.fma(u, i1);
            u = FloatVector.broadcast(S, p[po + 9 * nk + k]);
            j0 = x0.fma(u, j0);
            j1 = x1.fma(u, j1);
            u = FloatVector.broadcast(S, p[po + 10 * nk + k]);
            k0 = x0.fma(u, k0);
            k1 = x1.fma(u, k1);
            u = FloatVector.broadcast(S, p[po + 11 * nk + k]);
            l0 = x0.fma(u, l0);
            l1 = x1.fma(u, l1);
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
        g0.intoArray(acc, ao + 6 * MC);
        g1.intoArray(acc, ao + 6 * MC + L);
        h0.intoArray(acc, ao + 7 * MC);
        h1.intoArray(acc, ao + 7 * MC + L);
        i0.intoArray(acc, ao + 8 * MC);
        i1.intoArray(acc, ao + 8 * MC + L);
        j0.intoArray(acc, ao + 9 * MC);
        j1.intoArray(acc, ao + 9 * MC + L);
        k0.intoArray(acc, ao + 10 * MC);
        k1.intoArray(acc, ao + 10 * MC + L);
        l0.intoArray(acc, ao + 11 * MC);
        l1.intoArray(acc, ao + 11 * MC + L);
    }
}
