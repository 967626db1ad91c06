package dev.shallow.heal;

import dev.shallow.model.ModelConfig;
import dev.shallow.tensor.Parallel;

import java.util.Arrays;

/**
 * Causal grouped-query attention over whole sequences (no cache), and its gradient, in double.
 * For query head h at position t of a sequence: out_t = sum_{s<=t} P[t,s] v_s with
 * P[t,s] = softmax_s(q_t . k_s / sqrt(d)), k and v of kv head h / (heads / kvHeads). Rows of
 * [n, dim] arrays are the batch's tokens, sequence b at rows [starts[b], starts[b+1]). Only a row
 * of P is ever held: backward recomputes it. One task per (sequence, kv head) owns that head's
 * dk and dv, so the heads sharing it add to them in a fixed order.
 */
final class CausalAttention {
    private CausalAttention() {
    }

    static void forward(double[] q, double[] k, double[] v, double[] out, int[] starts, ModelConfig c) {
        int d = c.headDim(), kvHeads = c.numKvHeads(), group = c.numHeads() / kvHeads, qDim = c.qDim(), kvDim = c.kvDim();
        Parallel.forEach((starts.length - 1) * kvHeads, task -> {
            int s0 = starts[task / kvHeads], len = starts[task / kvHeads + 1] - s0, kh = task % kvHeads;
            double[] p = new double[len];
            for (int h = kh * group; h < (kh + 1) * group; h++) {
                for (int t = 0; t < len; t++) {
                    int qo = (s0 + t) * qDim + h * d;
                    probabilities(q, qo, k, s0, kvDim, kh * d, d, t + 1, p);
                    Arrays.fill(out, qo, qo + d, 0);
                    for (int s = 0; s <= t; s++) {
                        int vo = (s0 + s) * kvDim + kh * d;
                        for (int i = 0; i < d; i++) out[qo + i] += p[s] * v[vo + i];
                    }
                }
            }
        });
    }

    /** dq (overwritten), dk and dv (overwritten) from dOut, recomputing P row by row. */
    static void backward(double[] q, double[] k, double[] v, double[] dOut, double[] dq, double[] dk, double[] dv, int[] starts,
                         ModelConfig c) {
        int d = c.headDim(), kvHeads = c.numKvHeads(), group = c.numHeads() / kvHeads, qDim = c.qDim(), kvDim = c.kvDim();
        double scale = 1 / Math.sqrt(d);
        Parallel.forEach((starts.length - 1) * kvHeads, task -> {
            int s0 = starts[task / kvHeads], len = starts[task / kvHeads + 1] - s0, kh = task % kvHeads;
            for (int s = 0; s < len; s++) {
                int o = (s0 + s) * kvDim + kh * d;
                Arrays.fill(dk, o, o + d, 0);
                Arrays.fill(dv, o, o + d, 0);
            }
            double[] p = new double[len], dp = new double[len];
            for (int h = kh * group; h < (kh + 1) * group; h++) {
                for (int t = 0; t < len; t++) {
                    int qo = (s0 + t) * qDim + h * d;
                    probabilities(q, qo, k, s0, kvDim, kh * d, d, t + 1, p);
                    double dot = 0;
                    for (int s = 0; s <= t; s++) {
                        int vo = (s0 + s) * kvDim + kh * d;
                        double g = 0;
                        for (int i = 0; i < d; i++) g += dOut[qo + i] * v[vo + i];
                        dp[s] = g; // dP[t,s] = dOut_t . v_s
                        dot += p[s] * g;
                    }
                    Arrays.fill(dq, qo, qo + d, 0);
                    for (int s = 0; s <= t; s++) {
                        int ko = (s0 + s) * kvDim + kh * d;
                        double ds = p[s] * (dp[s] - dot) * scale; // dS = P (dP - sum_s P dP), through the 1/sqrt(d) scale
                        for (int i = 0; i < d; i++) {
                            dq[qo + i] += ds * k[ko + i]; // dq_t = sum_s dS k_s
                            dk[ko + i] += ds * q[qo + i]; // dk_s += dS q_t
                            dv[ko + i] += p[s] * dOut[qo + i]; // dv_s += P dOut_t
                        }
                    }
                }
            }
        });
    }

    /** p[s] = softmax over s < count of (q[qo ..] . k_s) / sqrt(d), k_s at k[(s0 + s) * kvDim + ko ..]. */
    private static void probabilities(double[] q, int qo, double[] k, int s0, int kvDim, int ko, int d, int count, double[] p) {
        double scale = 1 / Math.sqrt(d), max = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < count; s++) {
            int o = (s0 + s) * kvDim + ko;
            double dot = 0;
            for (int i = 0; i < d; i++) dot += q[qo + i] * k[o + i];
            p[s] = dot * scale;
            max = Math.max(max, p[s]);
        }
        double sum = 0;
        for (int s = 0; s < count; s++) sum += p[s] = Math.exp(p[s] - max);
        for (int s = 0; s < count; s++) p[s] /= sum;
    }
}
