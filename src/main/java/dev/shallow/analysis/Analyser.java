package dev.shallow.analysis;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.data.CalibrationSet;
import dev.shallow.model.Model;
import dev.shallow.transformer.Transformer;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Runs the whole analysis of a model on a calibration set: one statistics pass, then the optional ablation and greedy removals. */
public final class Analyser {
    private Analyser() {
    }

    public static Analysis run(Model model, CalibrationSet calibration, AnalysisOptions options, Progress progress) {
        return run(CalibrationRunner.local(model, calibration.sequences()), calibration, options, progress);
    }

    /** The same, every measurement over the calibration set run by {@code runner} (here or on a cluster: the same bits). */
    public static Analysis run(CalibrationRunner runner, CalibrationSet calibration, AnalysisOptions options, Progress progress) {
        return run(runner, options, recordedOptions(calibration, options), progress);
    }

    /** The statistics pass alone (every metric of {@code options} but the ablation and greedy removals), as benchmarks time it. */
    public static LayerMetrics measure(Transformer tf, int[][] sequences, AnalysisOptions options) {
        return LayerStatistics.measure(tf, SampleRange.all(sequences), options, cka(sequences, options), false, Progress.NONE).metrics();
    }

    /** The same on bare token sequences; {@code recordedOptions} is stored as the analysis' options. */
    public static Analysis run(Model model, int[][] sequences, AnalysisOptions options, ObjectNode recordedOptions, Progress progress) {
        return run(CalibrationRunner.local(model, sequences), options, recordedOptions, progress);
    }

    /** The analysis with every measurement over the calibration set run by {@code runner}; {@code recordedOptions} as above. */
    public static Analysis run(CalibrationRunner runner, AnalysisOptions options, ObjectNode recordedOptions, Progress progress) {
        Model model = runner.model();
        int[][] sequences = runner.sequences();
        int layers = model.config().numLayers();
        if (!options.greedy().isEmpty() && options.greedySteps() >= layers) {
            throw new ShallowException("--greedy-steps " + options.greedySteps() + ": the model has " + layers + " layers; at least one must stay");
        }
        if (options.subGreedyLayers() >= layers) {
            throw new ShallowException("--greedy-sub-blocks " + options.subGreedyLayers() + ": must be 1.." + (layers - 1) + " layers' parameters (the model has " + layers + ")");
        }
        boolean loss = options.ablation() || options.heads();
        LayerSums sums = runner.run(new LayerStatistics.Job(Transformer.allLayers(layers), options, cka(sequences, options), loss), "pass", progress);
        LayerMetrics m = sums.metrics();
        double[] ablation = options.ablation() ? SingleLayerAblation.losses(runner, options.batchSequences(), options.memory(), progress) : null;
        Map<GreedyRemoval.Metric, List<GreedyRemoval.Step>> greedy = new EnumMap<>(GreedyRemoval.Metric.class);
        for (GreedyRemoval.Metric metric : options.greedy()) {
            greedy.put(metric, GreedyRemoval.run(runner, metric, options.greedySteps(), options.batchSequences(), options.memory(), progress));
        }
        SingleSubBlockAblation parts = options.ablation() || options.heads()
                ? SingleSubBlockAblation.measure(runner, options.batchSequences(), options.heads(), progress) : null;
        List<SubBlockGreedy.Step> subGreedy = options.subGreedyLayers() == 0 ? List.of()
                : SubBlockGreedy.run(runner, options.subGreedyLayers(), options.batchSequences(), progress);
        SubBlockAnalysis subBlocks = new SubBlockAnalysis(SubBlockSizes.of(model), m.subBlocks(), parts == null ? null : parts.attention(),
                parts == null ? null : parts.mlp(), parts == null ? null : parts.heads(), subGreedy, options.subGreedyLayers());
        return new Analysis(ModelIdentity.of(model), recordedOptions, model.config().numLayers(), options.angularTokens().label(),
                m.angularDistance(), m.blockInfluence(), m.relativeMagnitude(), m.cka(), ablation,
                loss ? sums.loss.mean() : Double.NaN, greedy, subBlocks);
    }

    /** {"calibration": ..., "analysis": ...}: what the analysis records of its options. */
    private static ObjectNode recordedOptions(CalibrationSet calibration, AnalysisOptions options) {
        ObjectNode opts = JsonNodeFactory.instance.objectNode();
        opts.set("calibration", calibration.toJson());
        opts.set("analysis", options.toJson());
        return opts;
    }

    /** The CKA token sample of the whole set (null: no CKA), chosen here so that every range of a partition uses the same. */
    private static CkaSample cka(int[][] sequences, AnalysisOptions options) {
        return options.ckaTokens() == 0 ? null : CkaSample.choose(sequences, options.ckaTokens(), options.ckaSeed());
    }
}
