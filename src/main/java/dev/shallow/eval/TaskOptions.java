package dev.shallow.eval;

import java.nio.file.Path;

/**
 * What a task is built from: the data folder (laid out like {@code ../shared/data}, or its {@code fixtures}),
 * the number of few-shot examples ({@code -1}: the task's harness default) and the seed of any
 * few-shot sampling.
 */
public record TaskOptions(Path dataDir, int shots, long seed) {
    public static final int DEFAULT_SHOTS = -1;

    /** The shots to use: the requested number, else the task's default. */
    public int shotsOr(int taskDefault) {
        return shots == DEFAULT_SHOTS ? taskDefault : shots;
    }
}
