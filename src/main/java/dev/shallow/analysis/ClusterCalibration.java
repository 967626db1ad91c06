package dev.shallow.analysis;

import dev.shallow.ShallowException;
import dev.shallow.cluster.Cluster;
import dev.shallow.cluster.ClusterFunction;
import dev.shallow.cluster.ExecutorModels;
import dev.shallow.cluster.FileSources;
import dev.shallow.model.Model;
import dev.shallow.tensor.Matmul;
import dev.shallow.tensor.MatmulPrecision;

import java.util.List;

/**
 * The analysis' measurements on a {@link Cluster}: the calibration sequences cut into {@code partitions} contiguous ranges,
 * one task each per measurement; each executor opens the model once ({@link ExecutorModels}) and runs the job on its range,
 * with the range's global token offset; the driver merges the partial sums as they come back, in any order. The merge is
 * exact ({@link ExactSum}), so the result is the local run's bit for bit, whatever the partitioning.
 */
public final class ClusterCalibration implements CalibrationRunner {
    private final Cluster cluster;
    private final Model model;
    private final int[][] sequences;
    private final List<SampleRange> ranges;

    /**
     * @param model      the driver's model, at a path every executor sees or fetched from a URI ({@link FileSources})
     * @param partitions ranges to cut the sequences into, 1 .. the number of sequences
     */
    public ClusterCalibration(Cluster cluster, Model model, int[][] sequences, int partitions) {
        if (partitions < 1 || partitions > sequences.length) {
            throw new ShallowException("--spark-partitions " + partitions + ": must be 1.." + sequences.length + " (one calibration sequence or more per partition)");
        }
        this.cluster = cluster;
        this.model = model;
        this.sequences = sequences;
        this.ranges = SampleRange.split(sequences, partitions);
    }

    /**
     * The calibration set on {@code cluster} in {@code partitions} ranges; 0: the cluster's default parallelism (the cores of
     * its executors), at most one range per sequence.
     */
    public static ClusterCalibration on(Cluster cluster, Model model, int[][] sequences, int partitions) {
        return new ClusterCalibration(cluster, model, sequences, partitions > 0 ? partitions : Math.max(1, Math.min(cluster.parallelism(), sequences.length)));
    }

    @Override
    public Model model() {
        return model;
    }

    @Override
    public int[][] sequences() {
        return sequences;
    }

    /** Progress: the work of the ranges whose tasks have finished, over the whole set's. */
    @Override
    public <P extends Partial<P>> P run(CalibrationJob<P> job, String phase, Progress progress) {
        long total = job.work(Batches.tokens(sequences));
        var sum = new Object() {
            P merged;
            long done;
        };
        progress.note("on the cluster: each pass over the " + sequences.length + " calibration sequences is " + ranges.size() + " tasks");
        progress.update(phase, 0, total);
        cluster.run(ranges, new Task<>(FileSources.shipped(model.dir()), Matmul.precision(), Matmul.choice(), job), (i, partial) -> {
            if (sum.merged == null) sum.merged = partial;
            else sum.merged.merge(partial);
            progress.update(phase, sum.done += job.work(ranges.get(i).tokens()), total);
            return true;
        });
        return sum.merged;
    }

    /** One job on one range, on an executor: the model opened once per executor JVM, the driver's matmul settings. */
    private record Task<P extends Partial<P>>(String model, MatmulPrecision precision, Matmul.Choice choice, CalibrationJob<P> job)
            implements ClusterFunction<SampleRange, P> {
        @Override
        public P apply(SampleRange range) {
            Matmul.setPrecision(precision);
            Matmul.setChoice(choice);
            return job.run(ExecutorModels.get(model), range, Progress.NONE);
        }
    }
}
