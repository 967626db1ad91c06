package dev.shallow.eval;

import java.util.List;
import java.util.SplittableRandom;

/** Standard errors as lm-evaluation-harness computes them ({@code lm_eval/api/metrics.py}); NaN where it reports "N/A". */
public final class Stderr {
    private Stderr() {
    }

    /** mean: sample stddev / sqrt(n); perplexity: bootstrap over documents; the weighted ratios: none. */
    public static double of(Aggregation aggregation, List<Sample> samples, int bootstrapIters) {
        if (samples.size() < 2) return Double.NaN;
        return switch (aggregation) {
            case MEAN -> sampleStddev(values(samples)) / Math.sqrt(samples.size());
            case PERPLEXITY -> bootstrap(aggregation, samples, bootstrapIters);
            case WEIGHTED_PERPLEXITY, BITS_PER_BYTE, NATS_PER_TOKEN -> Double.NaN;
        };
    }

    /**
     * Sample stddev of {@code iters} replicates of the aggregate over documents drawn with replacement, in chunks
     * of 1000 each seeded by its index (the harness's scheme; its Python RNG draws other documents, so
     * the two agree statistically, not digit for digit).
     */
    static double bootstrap(Aggregation aggregation, List<Sample> samples, int iters) {
        if (iters <= 0) return Double.NaN;
        int chunk = Math.min(1000, iters), n = samples.size();
        double[] replicates = new double[iters / chunk * chunk];
        Sample[] all = samples.toArray(Sample[]::new);
        Sample[] draw = new Sample[n];
        for (int c = 0, r = 0; c < iters / chunk; c++) {
            SplittableRandom rnd = new SplittableRandom(c);
            for (int i = 0; i < chunk; i++) {
                for (int j = 0; j < n; j++) draw[j] = all[rnd.nextInt(n)];
                replicates[r++] = aggregation.aggregate(List.of(draw));
            }
        }
        return sampleStddev(replicates);
    }

    /** sqrt(sum (x - mean)^2 / (n - 1)). */
    static double sampleStddev(double[] xs) {
        double mean = 0;
        for (double x : xs) mean += x;
        mean /= xs.length;
        double ss = 0;
        for (double x : xs) ss += (x - mean) * (x - mean);
        return Math.sqrt(ss / (xs.length - 1));
    }

    /** Pooled stderr of a group weighted by size: sqrt(sum (n_i - 1) se_i^2 n_i / (sum n_i - k) / sum n_i) ({@code pooled_sample_stderr}). */
    public static double pooled(double[] stderrs, int[] sizes) {
        double num = 0;
        long total = 0;
        for (int i = 0; i < sizes.length; i++) {
            num += (sizes[i] - 1.0) * stderrs[i] * stderrs[i] * sizes[i];
            total += sizes[i];
        }
        return Math.sqrt(num / (total - sizes.length) / total);
    }

    private static double[] values(List<Sample> samples) {
        double[] v = new double[samples.size()];
        for (int i = 0; i < v.length; i++) v[i] = samples.get(i).value();
        return v;
    }
}
