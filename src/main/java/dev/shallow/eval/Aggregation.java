package dev.shallow.eval;

import java.util.List;

/** How per-document samples become a task's score (lm-evaluation-harness {@code lm_eval/api/metrics.py}). */
public enum Aggregation {
    /** mean of the values (acc, acc_norm, exact_match). */
    MEAN,
    /** exp(-mean of the values), the values being log-likelihoods (lambada perplexity). */
    PERPLEXITY,
    /** exp(-sum of values / sum of weights) (word_perplexity, byte_perplexity). */
    WEIGHTED_PERPLEXITY,
    /** -sum of values / sum of weights / ln 2 (bits_per_byte). */
    BITS_PER_BYTE,
    /** -sum of values / sum of weights, the weights being token counts (loss in nats per token). */
    NATS_PER_TOKEN;

    public double aggregate(List<Sample> samples) {
        double sum = 0, weights = 0;
        for (Sample s : samples) {
            sum += s.value();
            weights += s.weight();
        }
        return switch (this) {
            case MEAN -> sum / samples.size();
            case PERPLEXITY -> Math.exp(-sum / samples.size());
            case WEIGHTED_PERPLEXITY -> Math.exp(-sum / weights);
            case BITS_PER_BYTE -> -sum / weights / Math.log(2);
            case NATS_PER_TOKEN -> -sum / weights;
        };
    }
}
