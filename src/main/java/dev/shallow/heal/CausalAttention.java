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
 * [n, dim] arrays are the batch's tokens, sequence b at rows [starts[b], starts[b+1]). Only a row
 * of P is ever held: backward recomputes it. One task per (sequence, kv head) owns that head's
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

    /** dq (overwritten), dk and dv (overwritten) from dOut, recomputing P row by row. */
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
            double[] p = head.row(), slope = head.row(), dp = head.row(), ds = head.row();
            for (int h = task % kvHeads * group; h < (task % kvHeads + 1) * group; h++) {
                for (int t = 0; t < head.len; t++) {
                    int qo = (head.s0 + t) * qDim + h * d, from = first(t, window), count = t + 1 - from;
                    head.probabilities(q, qo, from, count, c, p, slope);
                    head.dots(dOut, qo, head.vt, from, count, dp); // dP[t,s] = dOut_t . v_s
                    double dot = 0;
                    for (int j = 0; j < count; j++) dot += p[j] * dp[j];
                    for (int j = 0; j < count; j++) ds[j] = p[j] * (dp[j] - dot) * slope[j] * scale; // dS = P (dP - sum_s P dP), through the cap and the scale
                    head.weightedRows(ds, k, from, count, dq, qo); // dq_t = sum_s dS k_s
                    for (int j = 0; j < count; j++) {
                        int ko = head.row(from + j);
                        axpy(ds[j], q, qo, dk, ko, d); // dk_s += dS q_t
                        axpy(p[j], dOut, qo, dv, ko, d); // dv_s += P dOut_t
                    }
                }
            }
        });
    }

    /** The first key position a query at t sees. */
    private static int first(int t, int window) {
        return window > 0 ? Math.max(0, t - window + 1) : 0;
    }

    /** y[yo ..+ n] += a x[xo ..+ n], lane-wise (one fma per element). */
    private static void axpy(double a, double[] x, int xo, double[] y, int yo, int n) {
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            DoubleVector.fromArray(DS, x, xo + i).fma(DoubleVector.broadcast(DS, a), DoubleVector.fromArray(DS, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] = Math.fma(a, x[xo + i], y[yo + i]);
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
            for (int j = 0; j < count; j += LANES) {
                DoubleVector acc = DoubleVector.zero(DS);
                for (int i = 0; i < d; i++) acc = DoubleVector.fromArray(DS, xt, i * stride + from + j).fma(DoubleVector.broadcast(DS, a[ao + i]), acc);
                acc.intoArray(out, j);
            }
        }

        /** out[oo ..+ d] = sum_j w[j] x_(from + j) over j < count (rows of this head in x), the dimensions in lanes, keys in order. */
        void weightedRows(double[] w, double[] x, int from, int count, double[] out, int oo) {
            int i = 0;
            for (; i + LANES <= d; i += LANES) {
                DoubleVector acc = DoubleVector.zero(DS);
                for (int j = 0; j < count; j++) acc = DoubleVector.fromArray(DS, x, row(from + j) + i).fma(DoubleVector.broadcast(DS, w[j]), acc);
                acc.intoArray(out, oo + i);
            }
            for (; i < d; i++) {
                double acc = 0;
                for (int j = 0; j < count; j++) acc = Math.fma(w[j], x[row(from + j) + i], acc);
                out[oo + i] = acc;
            }
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
