package dev.shallow.sweep;

import dev.shallow.cluster.ClusterFunction;
import dev.shallow.cluster.ExecutorModels;
import dev.shallow.cluster.FileSources;
import dev.shallow.data.Datasets;
import dev.shallow.model.Model;
import dev.shallow.tensor.Matmul;
import dev.shallow.tensor.MatmulPrecision;

import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One line of a distributed sweep, run on an executor: the model (opened once per executor JVM), the sweep's options and
 * the driver's matmul settings travel with the task; the result is what {@link PointRunner#run} gives the local sweep.
 *
 * @param model the model's absolute path, seen by every executor, or the URI it was fetched from ({@link FileSources})
 */
record SweepTask(String model, SweepOptions options, MatmulPrecision precision, Matmul.Choice choice) implements ClusterFunction<Sweep.Line, PointResult> {
    /** The runners of this JVM, one per model and options (tasks, encoding and calibration loaded once). */
    private static final Map<SweepTask, PointRunner> RUNNERS = new ConcurrentHashMap<>();

    /**
     * The task of {@code options}' lines on {@code model}, with the calibration file's path made absolute: an executor
     * resolves a relative path in its own working directory.
     */
    static SweepTask of(Model model, SweepOptions options) {
        SweepOptions shipped = options.withCalibration(options.calibration().withData(Datasets.absoluteIfFile(options.calibration().data())));
        return new SweepTask(FileSources.shipped(model.dir()), shipped, Matmul.precision(), Matmul.choice());
    }

    @Override
    public PointResult apply(Sweep.Line line) {
        Matmul.setPrecision(precision);
        Matmul.setChoice(choice);
        PointRunner runner = RUNNERS.computeIfAbsent(this, t -> PointRunner.of(ExecutorModels.get(t.model), t.options));
        Path work = Path.of(System.getProperty("java.io.tmpdir"), "shallow-point-" + UUID.randomUUID());
        return runner.run(line, work, SweepProgress.NONE);
    }
}
