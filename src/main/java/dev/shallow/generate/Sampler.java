package dev.shallow.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: greedy argmax when temperature is 0, else a seeded draw from
 * softmax(logits / temperature) restricted to the smallest set of tokens whose mass reaches top-p
 * (nucleus sampling, Holtzman et al. 2020).
 */
public final class Sampler {
    private final float temperature;
    private final float topP;
    private final SplittableRandom random;

    private Sampler(float temperature, float topP, long seed) {
        if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (topP <= 0 || topP > 1) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        this.temperature = temperature;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() {
        return new Sampler(0f, 1f, 0L);
    }

    public static Sampler of(float temperature, float topP, long seed) {
        return new Sampler(temperature, topP, seed);
    }

    /** The next token given logits[off .. off + vocab). */
    public int sample(float[] logits, int off, int vocab) {
        if (temperature == 0f) return argmax(logits, off, vocab);
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[off + i]);
        double[] p = new double[vocab];
        double sum = 0;
        for (int i = 0; i < vocab; i++) sum += p[i] = Math.exp((logits[off + i] - max) / temperature); // softmax(l / T)
        Integer[] order = new Integer[vocab];
        for (int i = 0; i < vocab; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        int keep = 0;
        double mass = 0;
        while (keep < vocab && mass < topP * sum) mass += p[order[keep++]];
        double r = random.nextDouble() * mass;
        for (int i = 0; i < keep; i++) {
            r -= p[order[i]];
            if (r <= 0) return order[i];
        }
        return order[keep - 1];
    }

    /** Index of the largest logit (the first on ties). */
    public static int argmax(float[] logits, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (logits[off + i] > logits[off + best]) best = i;
        return best;
    }
}
