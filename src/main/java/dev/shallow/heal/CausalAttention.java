package dev.shallow.heal;

import dev.shallow.model.ModelConfig;
import dev.shallow.tensor.Parallel;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Causal grouped-query attention over whole sequences (no cache), and its gradient, in double.
 * For query head h at position t of a sequence: out_t = sum_s P[t,s] v_s over the visible keys s (s <= t, and
 * s > t - window on a sliding layer) with P[t,s] = softmax_s(cap(q_t . k_s x scale)), cap(x) = c tanh(x / c)
 * when the model soft-caps scores (Gemma 2), else x; k and v of kv head h / (heads / kvHeads). Rows of
 * [n, dim] arrays are the batch's tokens, sequence b at rows [starts[b], starts[b+1]). P is never held
 * whole (a row in forward, a block of rows in backward, which recomputes them). One task per (sequence, kv head) owns that head's
 * dk and dv, so the heads sharing it add to them in a fixed order.
 * <p>
 * Vector lanes: a task copies its keys and values transposed ({@link Head}), so a query's dot products with the keys
 * run with the keys in lanes, and weighted sums of rows (out, dq, dk, dv) with the head's dimensions in lanes. Every
 * value is one chain of fused multiply-adds in a fixed order (a dot product over the dimensions in order, a weighted
 * sum over the keys in order), so the bits do not depend on the lane count or the thread count.
 */
final class CausalAttention {
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final int LANES = DS.length();
    /** Queries whose rows of P and dS backward holds at once. */
    private static final int QUERY_BLOCK = 32;

    private CausalAttention() {
    }

    /** {@code window} > 0: a query sees itself and the window - 1 keys before it; 0: every key up to itself. */
    static void forward(double[] q, double[] k, double[] v, double[] out, int[] starts, ModelConfig c, int window) {
        int d = c.headDim(), kvHeads = c.numKvHeads(), group = c.numHeads() / kvHeads, qDim = c.qDim();
        Parallel.forEach((starts.length - 1) * kvHeads, task -> {
            Head head = new Head(k, null, starts, task / kvHeads, task % kvHeads, c);
            double[] p = head.row(), slope = head.row();
            for (int h = task % kvHeads * group; h < (task % kvHeads + 1) * group; h++) {
                for (int t = 0; t < head.len; t++) {
                    int qo = (head.s0 + t) * qDim + h * d, from = first(t, window), count = t + 1 - from;
                    head.probabilities(q, qo, from, count, c, p, slope);
                    head.weightedRows(p, v, from, count, out, qo); // out_t = sum_s P[t,s] v_s
                }
            }
        });
    }

    /**
     * dq (overwritten), dk and dv (overwritten) from dOut, recomputing P row by row. Queries go in blocks of
     * {@link #QUERY_BLOCK}: each query's dq as its rows of P and dS are made, then each key's dk and dv from the block's
     * rows at once (the same fmas, in the same order, as adding query by query).
     */
    static void backward(double[] q, double[] k, double[] v, double[] dOut, double[] dq, double[] dk, double[] dv, int[] starts,
                         ModelConfig c, int window) {
        int d = c.headDim(), kvHeads = c.numKvHeads(), group = c.numHeads() / kvHeads, qDim = c.qDim();
        double scale = c.attentionScale();
        Parallel.forEach((starts.length - 1) * kvHeads, task -> {
            Head head = new Head(k, v, starts, task / kvHeads, task % kvHeads, c);
            for (int s = 0; s < head.len; s++) {
                int o = head.row(s);
                Arrays.fill(dk, o, o + d, 0);
                Arrays.fill(dv, o, o + d, 0);
            }
            double[][] p = new double[QUERY_BLOCK][], ds = new double[QUERY_BLOCK][];
            for (int b = 0; b < QUERY_BLOCK; b++) {
                p[b] = head.row();
                ds[b] = head.row();
            }
            double[] slope = head.row(), dp = head.row(), column = new double[QUERY_BLOCK];
            for (int h = task % kvHeads * group; h < (task % kvHeads + 1) * group; h++) {
                for (int t0 = 0; t0 < head.len; t0 += QUERY_BLOCK) {
                    int t1 = Math.min(head.len, t0 + QUERY_BLOCK);
                    for (int t = t0; t < t1; t++) {
                        int qo = (head.s0 + t) * qDim + h * d, from = first(t, window), count = t + 1 - from;
                        double[] pt = p[t - t0], dst = ds[t - t0];
                        head.probabilities(q, qo, from, count, c, pt, slope);
                        head.dots(dOut, qo, head.vt, from, count, dp); // dP[t,s] = dOut_t . v_s
                        double dot = 0;
                        for (int j = 0; j < count; j++) dot += pt[j] * dp[j];
                        for (int j = 0; j < count; j++) dst[j] = pt[j] * (dp[j] - dot) * slope[j] * scale; // dS = P (dP - sum_s P dP), through the cap and the scale
                        head.weightedRows(dst, k, from, count, dq, qo); // dq_t = sum_s dS k_s
                    }
                    for (int s = first(t0, window); s < t1; s++) {
                        int tLo = Math.max(t0, s), tHi = window > 0 ? Math.min(t1, s + window) : t1; // the block's queries that see key s
                        head.addColumn(ds, t0, tLo, tHi, s, window, q, qDim, h * d, dk, column); // dk_s += sum_t dS[t,s] q_t
                        head.addColumn(p, t0, tLo, tHi, s, window, dOut, qDim, h * d, dv, column); // dv_s += sum_t P[t,s] dOut_t
                    }
                }
            }
        });
    }

    /** The first key position a query at t sees. */
    private static int first(int t, int window) {
        return window > 0 ? Math.max(0, t - window + 1) : 0;
    }

    /**
     * The keys (and values) of one kv head of one sequence, transposed: kt[i * stride + s] = dimension i of k_s. The
     * stride leaves at least a vector of zeros past the last key, so the dot products of a whole vector of keys never
     * read past a row.
     */
    private static final class Head {
        final int s0, len, d, kvDim, ko, stride;
        final double[] kt, vt;

        Head(double[] k, double[] v, int[] starts, int seq, int kvHead, ModelConfig c) {
            s0 = starts[seq];
            len = starts[seq + 1] - s0;
            d = c.headDim();
            kvDim = c.kvDim();
            ko = kvHead * d;
            stride = len + LANES;
            kt = transpose(k);
            vt = v == null ? null : transpose(v);
        }

        private double[] transpose(double[] a) {
            double[] t = new double[d * stride];
            for (int s = 0; s < len; s++) {
                for (int i = 0; i < d; i++) t[i * stride + s] = a[row(s) + i];
            }
            return t;
        }

        /** Where key s's row of this head starts in a [n, kvDim] array. */
        int row(int s) {
            return (s0 + s) * kvDim + ko;
        }

        /** A scratch row over the keys, a vector longer than the sequence (see {@link #dots}). */
        double[] row() {
            return new double[stride];
        }

        /**
         * out[j] = a[ao ..+ d] . (column from + j of xt) for j < count, the keys in lanes; each a chain of fmas over the
         * dimensions in order. Whole vectors: out is written up to the next multiple of the lane count.
         */
        void dots(double[] a, int ao, double[] xt, int from, int count, double[] out) {
            combine(a, ao, d, xt, from, stride, out, 0, (count + LANES - 1) / LANES * LANES, false);
        }

        /** out[oo ..+ d] = sum_j w[j] x_(from + j) over j < count (rows of this head in x), the keys in order. */
        void weightedRows(double[] w, double[] x, int from, int count, double[] out, int oo) {
            combine(w, 0, count, x, row(from), kvDim, out, oo, d, false);
        }

        /**
         * y[row(s) ..+ d] += sum over the queries t in [tLo, tHi) of w[t - t0][s - first(t)] x[(s0 + t) * xDim + xo ..], the
         * queries in order, continuing from y; {@code column} (QUERY_BLOCK long) holds the weights gathered.
         */
        void addColumn(double[][] w, int t0, int tLo, int tHi, int s, int window, double[] x, int xDim, int xo, double[] y, double[] column) {
            for (int t = tLo; t < tHi; t++) column[t - tLo] = w[t - t0][s - first(t, window)];
            combine(column, 0, tHi - tLo, x, (s0 + tLo) * xDim + xo, xDim, y, row(s), d, true);
        }

        /**
         * y[yo ..+ width] = (y[yo ..+ width] when accumulating, else 0) + sum_m w[wo + m] x[base + m step ..+ width] over
         * m &lt; count: the outputs in lanes, four vectors of them at a time, each one fma chain over m in order. The one
         * kernel of this class: the dot products of a query with the keys (outputs = keys, m = dimensions) and the
         * weighted sums of rows (outputs = dimensions, m = keys or queries).
         */
        private static void combine(double[] w, int wo, int count, double[] x, int base, int step, double[] y, int yo, int width, boolean accumulate) {
            int i = 0;
            for (; i + 4 * LANES <= width; i += 4 * LANES) {
                DoubleVector c0 = start(y, yo + i, accumulate), c1 = start(y, yo + i + LANES, accumulate),
                        c2 = start(y, yo + i + 2 * LANES, accumulate), c3 = start(y, yo + i + 3 * LANES, accumulate);
                for (int m = 0, o = base + i; m < count; m++, o += step) {
                    DoubleVector wm = DoubleVector.broadcast(DS, w[wo + m]);
                    c0 = DoubleVector.fromArray(DS, x, o).fma(wm, c0);
                    c1 = DoubleVector.fromArray(DS, x, o + LANES).fma(wm, c1);
                    c2 = DoubleVector.fromArray(DS, x, o + 2 * LANES).fma(wm, c2);
                    c3 = DoubleVector.fromArray(DS, x, o + 3 * LANES).fma(wm, c3);
                }
                c0.intoArray(y, yo + i);
                c1.intoArray(y, yo + i + LANES);
                c2.intoArray(y, yo + i + 2 * LANES);
                c3.intoArray(y, yo + i + 3 * LANES);
            }
            for (; i + LANES <= width; i += LANES) {
                DoubleVector c = start(y, yo + i, accumulate);
                for (int m = 0, o = base + i; m < count; m++, o += step) c = DoubleVector.fromArray(DS, x, o).fma(DoubleVector.broadcast(DS, w[wo + m]), c);
                c.intoArray(y, yo + i);
            }
            for (; i < width; i++) {
                double c = accumulate ? y[yo + i] : 0;
                for (int m = 0, o = base + i; m < count; m++, o += step) c = Math.fma(w[wo + m], x[o], c);
                y[yo + i] = c;
            }
        }

        private static DoubleVector start(double[] y, int at, boolean accumulate) {
            return accumulate ? DoubleVector.fromArray(DS, y, at) : DoubleVector.zero(DS);
        }

        /**
         * p[j] = softmax over j < count of cap((q[qo ..] . k_(from + j)) x scale); slope[j] = the cap's derivative there
         * (1 without soft-capping).
         */
        void probabilities(double[] q, int qo, int from, int count, ModelConfig c, double[] p, double[] slope) {
            double scale = c.attentionScale(), cap = c.attnSoftcap(), max = Double.NEGATIVE_INFINITY;
            dots(q, qo, kt, from, count, p);
            for (int j = 0; j < count; j++) {
                p[j] = cap > 0 ? SoftCap.apply(p[j] * scale, cap) : p[j] * scale;
                slope[j] = cap > 0 ? SoftCap.slope(p[j], cap) : 1;
                max = Math.max(max, p[j]);
            }
            double sum = 0;
            for (int j = 0; j < count; j++) sum += p[j] = Math.exp(p[j] - max);
            for (int j = 0; j < count; j++) p[j] /= sum;
        }
    }
}
