package dev.shallow.analysis;

import java.util.Arrays;
import java.util.Random;

/**
 * The calibration tokens the CKA Gram matrices are built on, as sorted global indices (sequences one
 * after another): the last token of every sequence, then a seeded uniform sample of the other tokens
 * except position 0 (BOS, the same in every sequence), up to {@code max} in all. Chosen from the
 * sequence lengths alone, so it does not depend on how the set is cut into batches.
 */
record CkaSample(long[] tokens) implements java.io.Serializable {

    static CkaSample choose(int[][] seqs, int max, long seed) {
        long[] last = new long[seqs.length];
        long[] inner = new long[Arrays.stream(seqs).mapToInt(s -> Math.max(0, s.length - 2)).sum()];
        long offset = 0;
        int m = 0;
        for (int s = 0; s < seqs.length; s++) {
            for (int t = 1; t < seqs[s].length - 1; t++) inner[m++] = offset + t;
            offset += seqs[s].length;
            last[s] = offset - 1;
        }
        Random r = new Random(seed);
        long[] chosen = last.length >= max ? firstOfShuffled(last, max, r)
                : concat(last, firstOfShuffled(inner, Math.min(inner.length, max - last.length), r));
        Arrays.sort(chosen);
        return new CkaSample(chosen);
    }

    /** The first k of a partial Fisher-Yates shuffle with {@code r}. */
    private static long[] firstOfShuffled(long[] a, int k, Random r) {
        long[] b = a.clone();
        for (int i = 0; i < k; i++) {
            int j = i + r.nextInt(b.length - i);
            long t = b[i];
            b[i] = b[j];
            b[j] = t;
        }
        return Arrays.copyOf(b, k);
    }

    private static long[] concat(long[] a, long[] b) {
        long[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    int size() {
        return tokens.length;
    }
}
