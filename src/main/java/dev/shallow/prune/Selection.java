package dev.shallow.prune;

/**
 * The layers (and sub-blocks) a strategy chose to remove, with the metric values that led to the choice.
 *
 * @param removed          whole layers, sorted, 0-indexed
 * @param removedAttention layers whose attention sub-block alone is removed, sorted (empty for layer strategies)
 * @param removedMlp       layers whose MLP sub-block alone is removed, sorted (empty for layer strategies)
 * @param metric           what {@code values} hold, e.g. "block_influence"; "none" for strategies that use no metric
 * @param values           for per-layer metrics, the value of each removed layer (aligned with {@code removed}); for the greedy
 *                         strategies, the score of the step that removed each layer (aligned with {@code removed});
 *                         for the angular block, the single distance d(x_l, x_{l+n}) of the chosen block; for the
 *                         sub-block strategies, the score of each chosen sub-block in the order chosen; empty for "none"
 */
public record Selection(int[] removed, int[] removedAttention, int[] removedMlp, String metric, double[] values) {
    public Selection {
        removed = removed.clone();
        removedAttention = removedAttention.clone();
        removedMlp = removedMlp.clone();
        values = values.clone();
    }

    /** Whole layers only. */
    public Selection(int[] removed, String metric, double[] values) {
        this(removed, new int[0], new int[0], metric, values);
    }

    /** Whether sub-blocks (not only whole layers) are removed. */
    public boolean removesSubBlocks() {
        return removedAttention.length + removedMlp.length > 0;
    }

    @Override
    public int[] removed() {
        return removed.clone();
    }

    @Override
    public int[] removedAttention() {
        return removedAttention.clone();
    }

    @Override
    public int[] removedMlp() {
        return removedMlp.clone();
    }

    @Override
    public double[] values() {
        return values.clone();
    }
}
