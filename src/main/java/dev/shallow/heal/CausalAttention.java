package dev.shallow.heal;

import dev.shallow.model.ModelConfig;
import dev.shallow.tensor.Parallel;
import dev.shallow.tensor.VectorMath;

import java.util.Arrays;

/**
 * Causal grouped-query attention over whole sequences (no cache), and its gradient, in double.
 * For query head h at position t of a sequence: out_t = sum_s P[t,s] v_s over the visible keys s (s <= t, and
 * s > t - window on a sliding layer) with P[t,s] = softmax_s(cap(q_t . k_s x scale)), cap(x) = c tanh(x / c)
 * when the model soft-caps scores (Gemma 2), else x; k and v of kv head h / (heads / kvHeads). Rows of
 * [n, dim] arrays are the batch's tokens, sequence b at rows [starts[b], starts[b+1]). Only a row
 * of P is ever held: backward recomputes it. One task per (sequence, kv head) owns that head's
 * dk and dv, so the heads sharing it add to them in a fixed order.
 */
final class CausalAttention {
    private CausalAttention() {
    }

    /** {@code window} > 0: a query sees itself and the window - 1 keys before it; 0: every key up to itself. */
    static void forward(double[] q, double[] k, double[] v, double[] out, int[] starts, ModelConfig c, int window) {
        int d = c.headDim(), kvHeads = c.numKvHeads(), group = c.numHeads() / kvHeads, qDim = c.qDim(), kvDim = c.kvDim();
        Parallel.forEach((starts.length - 1) * kvHeads, task -> {
            int s0 = starts[task / kvHeads], len = starts[task / kvHeads + 1] - s0, kh = task % kvHeads;
            double[] p = new double[len], slope = new double[len];
            for (int h = kh * group; h < (kh + 1) * group; h++) {
                for (int t = 0; t < len; t++) {
                    int qo = (s0 + t) * qDim + h * d, from = first(t, window);
                    probabilities(q, qo, k, s0 + from, kvDim, kh * d, d, t + 1 - from, c, p, slope);
                    Arrays.fill(out, qo, qo + d, 0);
                    for (int s = from; s <= t; s++) {
                        int vo = (s0 + s) * kvDim + kh * d;
                        for (int i = 0; i < d; i++) out[qo + i] += p[s - from] * v[vo + i];
                    }
                }
            }
        });
    }

    /** dq (overwritten), dk and dv (overwritten) from dOut, recomputing P row by row. */
    static void backward(double[] q, double[] k, double[] v, double[] dOut, double[] dq, double[] dk, double[] dv, int[] starts,
                         ModelConfig c, int window) {
        int d = c.headDim(), kvHeads = c.numKvHeads(), group = c.numHeads() / kvHeads, qDim = c.qDim(), kvDim = c.kvDim();
        double scale = c.attentionScale();
        Parallel.forEach((starts.length - 1) * kvHeads, task -> {
            int s0 = starts[task / kvHeads], len = starts[task / kvHeads + 1] - s0, kh = task % kvHeads;
            for (int s = 0; s < len; s++) {
                int o = (s0 + s) * kvDim + kh * d;
                Arrays.fill(dk, o, o + d, 0);
                Arrays.fill(dv, o, o + d, 0);
            }
            double[] p = new double[len], slope = new double[len], dp = new double[len];
            for (int h = kh * group; h < (kh + 1) * group; h++) {
                for (int t = 0; t < len; t++) {
                    int qo = (s0 + t) * qDim + h * d, from = first(t, window), count = t + 1 - from;
                    probabilities(q, qo, k, s0 + from, kvDim, kh * d, d, count, c, p, slope);
                    double dot = 0;
                    for (int j = 0; j < count; j++) {
                        int vo = (s0 + from + j) * kvDim + kh * d;
                        double g = VectorMath.dot(dOut, qo, v, vo, d);
                        dp[j] = g; // dP[t,s] = dOut_t . v_s
                        dot += p[j] * g;
                    }
                    Arrays.fill(dq, qo, qo + d, 0);
                    for (int j = 0; j < count; j++) {
                        int ko = (s0 + from + j) * kvDim + kh * d;
                        double ds = p[j] * (dp[j] - dot) * slope[j] * scale; // dS = P (dP - sum_s P dP), through the cap and the scale
                        for (int i = 0; i < d; i++) {
                            dq[qo + i] += ds * k[ko + i]; // dq_t = sum_s dS k_s
                            dk[ko + i] += ds * q[qo + i]; // dk_s += dS q_t
                            dv[ko + i] += p[j] * dOut[qo + i]; // dv_s += P dOut_t
                        }
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
     * p[j] = softmax over j < count of cap((q[qo ..] . k_j) x scale), k_j at k[(s0 + j) * kvDim + ko ..]; slope[j] =
     * the cap's derivative there (1 without soft-capping).
     */
    private static void probabilities(double[] q, int qo, double[] k, int s0, int kvDim, int ko, int d, int count, ModelConfig c,
                                      double[] p, double[] slope) {
        double scale = c.attentionScale(), cap = c.attnSoftcap(), max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < count; j++) {
            int o = (s0 + j) * kvDim + ko;
            double dot = VectorMath.dot(q, qo, k, o, d);
            p[j] = cap > 0 ? SoftCap.apply(dot * scale, cap) : dot * scale;
            slope[j] = cap > 0 ? SoftCap.slope(p[j], cap) : 1;
            max = Math.max(max, p[j]);
        }
        double sum = 0;
        for (int j = 0; j < count; j++) sum += p[j] = Math.exp(p[j] - max);
        for (int j = 0; j < count; j++) p[j] /= sum;
    }
}
