package dev.shallow.sweep;

import java.io.Serializable;
import java.util.List;

/**
 * One point of a sweep as planned: a strategy at a fraction, n = round(fraction x L), the layers it removes (sorted,
 * 0-indexed; empty for the unpruned model) and, for a sub-block strategy (n is then its budget, n layers' parameters),
 * the kept layers whose attention or MLP alone it removes.
 */
public record Point(String strategy, String fraction, int n, List<Integer> removed, List<Integer> attention, List<Integer> mlp) implements Serializable {
    public Point {
        removed = List.copyOf(removed);
        attention = List.copyOf(attention);
        mlp = List.copyOf(mlp);
        if (removed.size() > n || attention.isEmpty() && mlp.isEmpty() && removed.size() != n && !subBlocks(strategy)) {
            throw new IllegalArgumentException(strategy + " at " + fraction + ": " + removed.size() + " layers for n = " + n);
        }
    }

    /** A point that removes whole layers only. */
    public Point(String strategy, String fraction, int n, List<Integer> removed) {
        this(strategy, fraction, n, removed, List.of(), List.of());
    }

    private static boolean subBlocks(String strategy) {
        return java.util.Arrays.stream(dev.shallow.prune.Strategy.values()).anyMatch(s -> s.cliName().equals(strategy) && s.removesSubBlocks());
    }

    public int[] removedArray() {
        return ints(removed);
    }

    public int[] attentionArray() {
        return ints(attention);
    }

    public int[] mlpArray() {
        return ints(mlp);
    }

    private static int[] ints(List<Integer> layers) {
        return layers.stream().mapToInt(Integer::intValue).toArray();
    }

    /** "angular 0.25 (n=4)". */
    public String label() {
        return strategy + " " + fraction + " (n=" + n + ")";
    }

    /** What the point removes: "6-9", or with sub-blocks "layers 6, attention 2,3, mlp none". */
    public String removedText() {
        if (attention.isEmpty() && mlp.isEmpty()) return removed.isEmpty() ? "none" : dev.shallow.prune.Layers.format(removedArray());
        return "layers " + text(removed) + ", attention " + text(attention) + ", mlp " + text(mlp);
    }

    private static String text(List<Integer> layers) {
        return layers.isEmpty() ? "none" : dev.shallow.prune.Layers.format(ints(layers));
    }
}
