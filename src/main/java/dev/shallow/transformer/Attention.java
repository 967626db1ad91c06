package dev.shallow.transformer;

import dev.shallow.model.ModelConfig;
import dev.shallow.tensor.Linear;
import dev.shallow.tensor.Parallel;
import dev.shallow.tensor.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal grouped-query attention over the KV cache: for query head hd at position p,
 * out = sum_j softmax_j(q·k_j x scale) v_j over the visible keys j (all j <= p, or the last window of them on a
 * sliding layer), with k, v of kv head hd / (heads / kvHeads).
 * Each output dimension is one dot product of the probabilities with that dimension's values over positions.
 * Scores are kept for one query at a time (never T x T). Each score is the same fma chain over the
 * head's dimensions whatever the batch, so decode and prefill agree bit for bit.
 */
final class Attention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Attention() {
    }

    /**
     * The queries of tokens [t0, t1) of each sequence b (token t at position first[b] + t); their keys and values up
     * to there are in caches[b]. A query at pos sees keys [pos - window + 1, pos] when {@code window} > 0 (sliding),
     * else [0, pos]; scores are q.k x scale, then c tanh(s / c) when {@code softcap} > 0 (Gemma 2), then the softmax.
     * A sliding layer's ring of slots holds the visible keys in at most two runs (before and after the wrap).
     */
    static void causal(float[] q, float[] out, int[][] seqs, KVCache[] caches, int[] first, int[] start, int t0, int t1, int layer,
                       ModelConfig c, int window) {
        int heads = c.numHeads(), d = c.headDim(), group = heads / c.numKvHeads(), qDim = c.qDim();
        float scale = (float) c.attentionScale(), cap = c.attnSoftcap();
        Parallel.forEach(seqs.length * heads, task -> {
            int b = task / heads, hd = task % heads;
            KVCache cache = caches[b];
            int slots = cache.slots(layer), base = (hd / group) * d * slots, end = Math.min(t1, seqs[b].length);
            float[] keys = cache.keys(layer), values = cache.values(layer);
            float[] scores = new float[window > 0 ? Math.min(window, first[b] + end) : first[b] + end];
            for (int t = t0; t < end; t++) {
                int pos = first[b] + t, row = (start[b] + t) * qDim + hd * d;
                int from = window > 0 ? Math.max(0, pos - window + 1) : 0, n = pos + 1 - from;
                int s0 = from % slots, n1 = Math.min(n, slots - s0); // the run up to the ring's end, then the rest from slot 0
                scores(q, row, keys, base + s0, slots, d, n1, scores, 0);
                if (n > n1) scores(q, row, keys, base, slots, d, n - n1, scores, n1);
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    float s = scores[j] * scale;
                    if (cap > 0) s = VectorMath.softcap(s, cap);
                    max = Math.max(max, scores[j] = s);
                }
                float inv = 1f / VectorMath.expShifted(scores, 0, n, max); // softmax, shifted by the max for range
                weightedValues(scores, 0, n1, inv, values, base + s0, slots, d, out, row, false);
                if (n > n1) weightedValues(scores, n1, n - n1, inv, values, base, slots, d, out, row, true);
            }
        });
    }

    /**
     * out[row + i] (+)= scale * sum_j p[at + j] * values[base + i * stride + j] for i < d, j < n (V transposed
     * [kvDim, stride], base at the run's first slot of the head's group); {@code add}: a second run, added to the
     * first's. For each dimension one vector chain over positions, its lanes then added in a fixed order.
     */
    private static void weightedValues(float[] p, int at, int n, float scale, float[] values, int base, int stride, int d, float[] out,
                                       int row, boolean add) {
        int l = S.length(), nv = n - n % l;
        for (int i = 0; i < d; i++) {
            int v = base + i * stride;
            FloatVector acc = FloatVector.zero(S);
            for (int j = 0; j < nv; j += l) acc = FloatVector.fromArray(S, p, at + j).fma(FloatVector.fromArray(S, values, v + j), acc);
            float sum = Linear.sumLanes(acc);
            for (int j = nv; j < n; j++) sum = Math.fma(p[at + j], values[v + j], sum);
            out[row + i] = add ? out[row + i] + scale * sum : scale * sum;
        }
    }

    /**
     * scores[at + j] = sum_i q[qOff + i] * keys[base + i * capacity + j] for j < n (K transposed [kvDim, capacity]):
     * one FMA per dimension over a vector of positions, dimensions in ascending order.
     */
    private static void scores(float[] q, int qOff, float[] keys, int base, int capacity, int d, int n, float[] scores, int at) {
        int l = S.length(), nv = n - n % l, j = 0;
        for (; j + 4 * l <= nv; j += 4 * l) { // four independent chains to hide the FMA latency
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < d; i++) {
                FloatVector qi = FloatVector.broadcast(S, q[qOff + i]);
                int k = base + i * capacity + j;
                a0 = FloatVector.fromArray(S, keys, k).fma(qi, a0);
                a1 = FloatVector.fromArray(S, keys, k + l).fma(qi, a1);
                a2 = FloatVector.fromArray(S, keys, k + 2 * l).fma(qi, a2);
                a3 = FloatVector.fromArray(S, keys, k + 3 * l).fma(qi, a3);
            }
            a0.intoArray(scores, at + j);
            a1.intoArray(scores, at + j + l);
            a2.intoArray(scores, at + j + 2 * l);
            a3.intoArray(scores, at + j + 3 * l);
        }
        for (; j < nv; j += l) {
            FloatVector acc = FloatVector.zero(S);
            for (int i = 0; i < d; i++) {
                acc = FloatVector.fromArray(S, keys, base + i * capacity + j).fma(FloatVector.broadcast(S, q[qOff + i]), acc);
            }
            acc.intoArray(scores, at + j);
        }
        for (j = nv; j < n; j++) {
            float acc = 0f;
            for (int i = 0; i < d; i++) acc = Math.fma(keys[base + i * capacity + j], q[qOff + i], acc);
            scores[at + j] = acc;
        }
    }
}
