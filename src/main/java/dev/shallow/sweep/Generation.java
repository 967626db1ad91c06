package dev.shallow.sweep;

import java.util.List;

/** A greedy continuation of {@code prompt} by the model without the {@code removed} layers; {@code text} is prompt and continuation decoded together. */
public record Generation(String fraction, int n, List<Integer> removed, String prompt, String text) {
    public Generation {
        removed = List.copyOf(removed);
    }
}
