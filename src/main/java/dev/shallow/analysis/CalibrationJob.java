package dev.shallow.analysis;

import dev.shallow.model.Model;

import java.io.Serializable;

/**
 * One measurement over the calibration set (a statistics pass, a set of ablation losses) that runs on any range of the
 * sequences and gives a {@link Partial}: run on the whole set here, or on each range of a partition by a
 * {@link ClusterCalibration}'s executors. Shipped to the executors, so it holds only serializable values.
 */
interface CalibrationJob<P extends Partial<P>> extends Serializable {
    /** What {@code model} gives on {@code range}; {@code progress} is told of {@link #work} units done. */
    P run(Model model, SampleRange range, Progress progress);

    /** The progress total {@link #run} reports on a range of {@code tokens} tokens (tokens times the passes it makes over them). */
    long work(long tokens);
}
