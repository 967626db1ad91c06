package dev.shallow.bench;

/**
 * One context of {@code tokens} prefilled through the sliding-window model and through the same weights with full
 * attention, and the bytes of one layer's KV cache in each after those tokens.
 */
public record SlidingPrefill(int tokens, Measurement sliding, Measurement full, long slidingLayerKvBytes, long fullLayerKvBytes) {
    /** Sliding time / full time for the same tokens: full tok/s / sliding tok/s. */
    public double timeRatio() {
        return full.perSecond() / sliding.perSecond();
    }
}
