package dev.shallow.transformer;

import dev.shallow.model.ModelConfig;
import dev.shallow.tensor.Linear;
import dev.shallow.tensor.Parallel;
import dev.shallow.tensor.VectorMath;

/**
 * Causal grouped-query attention over the KV cache: for query head hd at position p,
 * out = sum_{j<=p} softmax_j(q·k_j / sqrt(d)) v_j, with k, v of kv head hd / (heads / kvHeads).
 * Scores are kept for one query at a time (never T x T).
 */
final class Attention {
    private Attention() {
    }

    static void causal(float[] q, float[] out, int[][] seqs, KVCache[] caches, int[] start, int layer, ModelConfig c) {
        int heads = c.numHeads(), d = c.headDim(), group = heads / c.numKvHeads(), qDim = c.qDim(), kvDim = c.kvDim();
        float scale = (float) (1.0 / Math.sqrt(d));
        Parallel.forEach(seqs.length * heads, task -> {
            int b = task / heads, hd = task % heads, kvOff = (hd / group) * d;
            KVCache cache = caches[b];
            float[] keys = cache.keys(layer), values = cache.values(layer);
            float[] scores = new float[cache.length + seqs[b].length];
            for (int t = 0; t < seqs[b].length; t++) {
                int pos = cache.length + t, qOff = (start[b] + t) * qDim + hd * d;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j <= pos; j++) {
                    scores[j] = Linear.dot(q, qOff, keys, j * kvDim + kvOff, d) * scale;
                    max = Math.max(max, scores[j]);
                }
                float sum = VectorMath.expShifted(scores, 0, pos + 1, max); // softmax numerators, shifted by the max for range
                float inv = 1f / sum;
                int oOff = (start[b] + t) * qDim + hd * d;
                java.util.Arrays.fill(out, oOff, oOff + d, 0f);
                for (int j = 0; j <= pos; j++) {
                    Linear.axpy(scores[j] * inv, values, j * kvDim + kvOff, out, oOff, d);
                }
            }
        });
    }
}
