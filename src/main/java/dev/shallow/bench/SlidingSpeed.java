package dev.shallow.bench;

import java.util.List;
import java.util.function.Function;

/** The {@code sliding} benchmark: each of {@code shape}'s contexts prefilled with a sliding window and with full attention, shortest first. */
public record SlidingSpeed(SlidingShape shape, List<SlidingPrefill> prefills) {
    /** How much the time per token of {@code model} (sliding or full) grows from the shortest context to the longest: tok/s first / tok/s last. */
    public double perTokenGrowth(Function<SlidingPrefill, Measurement> model) {
        return model.apply(prefills.getFirst()).perSecond() / model.apply(prefills.getLast()).perSecond();
    }
}
