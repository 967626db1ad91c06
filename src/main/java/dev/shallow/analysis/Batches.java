package dev.shallow.analysis;

import dev.shallow.transformer.KVCache;
import dev.shallow.transformer.ResidualObserver;
import dev.shallow.transformer.Transformer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The calibration set cut into mini-batches of sequences, each run from an empty KV cache. */
final class Batches {
    private Batches() {
    }

    static List<int[][]> of(int[][] seqs, int size) {
        List<int[][]> batches = new ArrayList<>();
        for (int s = 0; s < seqs.length; s += size) batches.add(Arrays.copyOfRange(seqs, s, Math.min(seqs.length, s + size)));
        return batches;
    }

    static float[] forward(Transformer tf, int[][] batch, boolean allLogits, ResidualObserver observer) {
        KVCache[] caches = new KVCache[batch.length];
        for (int b = 0; b < batch.length; b++) caches[b] = tf.newCache(batch[b].length);
        return tf.forward(batch, caches, allLogits, observer);
    }

    static long tokens(int[][] seqs) {
        return Arrays.stream(seqs).mapToLong(s -> s.length).sum();
    }
}
