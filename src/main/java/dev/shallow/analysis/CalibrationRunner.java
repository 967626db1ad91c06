package dev.shallow.analysis;

import dev.shallow.model.Model;

/**
 * Where the analysis' measurements over the calibration set run: here, in one pass over the whole set ({@link #local}), or
 * split over a cluster's executors ({@link ClusterCalibration}). Both run the same {@link CalibrationJob} and merge
 * exactly, so they give the same bits.
 */
public interface CalibrationRunner {
    /** The model, as the driver opened it. */
    Model model();

    /** Every calibration sequence, in order. */
    int[][] sequences();

    /** What {@code job} gives on the whole calibration set; progress reports phase {@code phase}. */
    <P extends Partial<P>> P run(CalibrationJob<P> job, String phase, Progress progress);

    /** Runs every job here, on the whole set at once. */
    static CalibrationRunner local(Model model, int[][] sequences) {
        return new Local(model, sequences);
    }

    /** The jobs run in this JVM, one pass over all the sequences. */
    record Local(Model model, int[][] sequences) implements CalibrationRunner {
        @Override
        public <P extends Partial<P>> P run(CalibrationJob<P> job, String phase, Progress progress) {
            return job.run(model, SampleRange.all(sequences), (_, done, total) -> progress.update(phase, done, total));
        }
    }
}
