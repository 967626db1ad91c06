package dev.shallow.transformer;

import dev.shallow.model.ModelConfig;
import dev.shallow.tensor.Linear;
import dev.shallow.tensor.Parallel;
import dev.shallow.tensor.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal grouped-query attention over the KV cache: for query head hd at position p,
 * out = sum_{j<=p} softmax_j(q·k_j / sqrt(d)) v_j, with k, v of kv head hd / (heads / kvHeads).
 * Each output dimension is one dot product of the probabilities with that dimension's values over positions.
 * Scores are kept for one query at a time (never T x T). Each score is the same fma chain over the
 * head's dimensions whatever the batch, so decode and prefill agree bit for bit.
 */
final class Attention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Attention() {
    }

    /** Queries of sequence b's token t are at position first[b] + t; its keys and values up to there are in caches[b]. */
    static void causal(float[] q, float[] out, int[][] seqs, KVCache[] caches, int[] first, int[] start, int layer, ModelConfig c) {
        int heads = c.numHeads(), d = c.headDim(), group = heads / c.numKvHeads(), qDim = c.qDim();
        float scale = (float) (1.0 / Math.sqrt(d));
        Parallel.forEach(seqs.length * heads, task -> {
            int b = task / heads, hd = task % heads, kvOff = (hd / group) * d;
            KVCache cache = caches[b];
            float[] keys = cache.keys(layer), values = cache.values(layer);
            float[] scores = new float[first[b] + seqs[b].length];
            for (int t = 0; t < seqs[b].length; t++) {
                int pos = first[b] + t, row = (start[b] + t) * qDim + hd * d;
                scores(q, row, keys, kvOff, cache.capacity, d, pos + 1, scores);
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j <= pos; j++) max = Math.max(max, scores[j] *= scale);
                float inv = 1f / VectorMath.expShifted(scores, 0, pos + 1, max); // softmax, shifted by the max for range
                weightedValues(scores, pos + 1, inv, values, kvOff, cache.capacity, d, out, row);
            }
        });
    }

    /**
     * out[row + i] = scale * sum_j p[j] * V[kvOff + i][j] for i < d, j < n, V transposed [kvDim, capacity]: for each
     * dimension one vector chain over positions, its lanes then added in a fixed order.
     */
    private static void weightedValues(float[] p, int n, float scale, float[] values, int kvOff, int capacity, int d, float[] out, int row) {
        int l = S.length(), nv = n - n % l;
        for (int i = 0; i < d; i++) {
            int v = (kvOff + i) * capacity;
            FloatVector acc = FloatVector.zero(S);
            for (int j = 0; j < nv; j += l) acc = FloatVector.fromArray(S, p, j).fma(FloatVector.fromArray(S, values, v + j), acc);
            float sum = Linear.sumLanes(acc);
            for (int j = nv; j < n; j++) sum = Math.fma(p[j], values[v + j], sum);
            out[row + i] = scale * sum;
        }
    }

    /**
     * scores[j] = sum_i q[qOff + i] * K[kvOff + i][j] for j < n, K transposed [kvDim, capacity]:
     * one FMA per dimension over a vector of positions, dimensions in ascending order.
     */
    private static void scores(float[] q, int qOff, float[] keys, int kvOff, int capacity, int d, int n, float[] scores) {
        int l = S.length(), nv = n - n % l, j = 0;
        for (; j + 4 * l <= nv; j += 4 * l) { // four independent chains to hide the FMA latency
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < d; i++) {
                FloatVector qi = FloatVector.broadcast(S, q[qOff + i]);
                int k = (kvOff + i) * capacity + j;
                a0 = FloatVector.fromArray(S, keys, k).fma(qi, a0);
                a1 = FloatVector.fromArray(S, keys, k + l).fma(qi, a1);
                a2 = FloatVector.fromArray(S, keys, k + 2 * l).fma(qi, a2);
                a3 = FloatVector.fromArray(S, keys, k + 3 * l).fma(qi, a3);
            }
            a0.intoArray(scores, j);
            a1.intoArray(scores, j + l);
            a2.intoArray(scores, j + 2 * l);
            a3.intoArray(scores, j + 3 * l);
        }
        for (; j < nv; j += l) {
            FloatVector acc = FloatVector.zero(S);
            for (int i = 0; i < d; i++) {
                acc = FloatVector.fromArray(S, keys, (kvOff + i) * capacity + j).fma(FloatVector.broadcast(S, q[qOff + i]), acc);
            }
            acc.intoArray(scores, j);
        }
        for (j = nv; j < n; j++) {
            float acc = 0f;
            for (int i = 0; i < d; i++) acc = Math.fma(keys[(kvOff + i) * capacity + j], q[qOff + i], acc);
            scores[j] = acc;
        }
    }
}
