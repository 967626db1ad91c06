package dev.shallow.sweep;

import dev.shallow.analysis.Progress;

/**
 * Told how a sweep is getting on: the analysis' and each evaluation's tokens through {@link Progress#update}, and each
 * point as it starts and finishes.
 */
public interface SweepProgress extends Progress {
    SweepProgress NONE = new SweepProgress() {
        @Override
        public void update(String phase, long doneTokens, long totalTokens) {
        }

        @Override
        public void starting(Point point, HealMethod healing, Status status) {
        }

        @Override
        public void finished(PointResult result, Status status) {
        }
    };

    /**
     * Where the sweep stands: {@code done} of {@code total} points finished (those of an earlier, resumed run included),
     * and of this run's evaluation work (each evaluation weighs its kept layers + 1) {@code workDone} of {@code workTotal}.
     */
    record Status(int done, int total, long workDone, long workTotal) {
    }

    /** {@code healing}: the method that heals the point's model before it is evaluated, or null for the pruned model itself. */
    void starting(Point point, HealMethod healing, Status status);

    void finished(PointResult result, Status status);
}
