package dev.shallow.prune;

import java.nio.file.Path;

/**
 * Why layers were removed, for {@code shallow_pruning.json}: the strategy's name, and the plan (with its
 * metric values and analysis options) when the layers were chosen by one.
 *
 * @param plan     null when the layers were given explicitly
 * @param planFile the plan's file when it was read from one, else null
 */
public record PruningRecord(String strategy, Plan plan, Path planFile) {
    public static final String EXPLICIT = "explicit";

    /** Layers given on the command line or by a caller, not chosen by a strategy. */
    public static PruningRecord explicit() {
        return new PruningRecord(EXPLICIT, null, null);
    }

    public static PruningRecord of(Plan plan, Path planFile) {
        return new PruningRecord(plan.strategy(), plan, planFile);
    }
}
