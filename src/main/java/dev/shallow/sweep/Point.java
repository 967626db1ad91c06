package dev.shallow.sweep;

import java.util.List;

/**
 * One point of a sweep as planned: a strategy at a fraction, the n = round(fraction x L) layers it removes, and which
 * (sorted, 0-indexed; empty for the unpruned model).
 */
public record Point(String strategy, String fraction, int n, List<Integer> removed) {
    public Point {
        removed = List.copyOf(removed);
        if (removed.size() != n) throw new IllegalArgumentException(strategy + " at " + fraction + ": " + removed.size() + " layers for n = " + n);
    }

    public int[] removedArray() {
        return removed.stream().mapToInt(Integer::intValue).toArray();
    }

    /** "angular 0.25 (n=4)". */
    public String label() {
        return strategy + " " + fraction + " (n=" + n + ")";
    }
}
