package dev.shallow.prune;

/**
 * The layers a strategy chose to remove, with the metric values that led to the choice.
 *
 * @param removed sorted, 0-indexed
 * @param metric  what {@code values} hold, e.g. "block_influence"; "none" for strategies that use no metric
 * @param values  for per-layer metrics, the value of each removed layer (aligned with {@code removed}); for the greedy
 *                strategies, the score of the step that removed each layer (aligned with {@code removed});
 *                for the angular block, the single distance d(x_l, x_{l+n}) of the chosen block; empty for "none"
 */
public record Selection(int[] removed, String metric, double[] values) {
    public Selection {
        removed = removed.clone();
        values = values.clone();
    }

    @Override
    public int[] removed() {
        return removed.clone();
    }

    @Override
    public double[] values() {
        return values.clone();
    }
}
