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
        ObjectNode opts = JsonNodeFactory.instance.objectNode();
        opts.set("calibration", calibration.toJson());
        opts.set("analysis", options.toJson());
        return run(model, calibration.sequences(), options, opts, progress);
    }

    /** The statistics pass alone (every metric of {@code options} but the ablation and greedy removals), as benchmarks time it. */
    public static LayerMetrics measure(Transformer tf, int[][] sequences, AnalysisOptions options) {
        return LayerStatistics.measure(tf, sequences, options, Progress.NONE, null);
    }

    /** The same on bare token sequences; {@code recordedOptions} is stored as the analysis' options. */
    public static Analysis run(Model model, int[][] sequences, AnalysisOptions options, ObjectNode recordedOptions, Progress progress) {
        int layers = model.config().numLayers();
        if (!options.greedy().isEmpty() && options.greedySteps() >= layers) {
            throw new ShallowException("--greedy-steps " + options.greedySteps() + ": the model has " + layers + " layers; at least one must stay");
        }
        if (options.subGreedyLayers() >= layers) {
            throw new ShallowException("--greedy-sub-blocks " + options.subGreedyLayers() + ": must be 1.." + (layers - 1) + " layers' parameters (the model has " + layers + ")");
        }
        CalibrationLoss loss = options.ablation() || options.heads() ? new CalibrationLoss() : null;
        LayerMetrics m = LayerStatistics.measure(new Transformer(model), sequences, options, progress, loss);
        double[] ablation = options.ablation() ? SingleLayerAblation.losses(model, sequences, options.batchSequences(), options.memory(), progress) : null;
        Map<GreedyRemoval.Metric, List<GreedyRemoval.Step>> greedy = new EnumMap<>(GreedyRemoval.Metric.class);
        for (GreedyRemoval.Metric metric : options.greedy()) {
            greedy.put(metric, GreedyRemoval.run(model, sequences, metric, options.greedySteps(), options.batchSequences(), options.memory(), progress));
        }
        SingleSubBlockAblation parts = options.ablation() || options.heads()
                ? SingleSubBlockAblation.measure(model, sequences, options.batchSequences(), options.heads(), progress) : null;
        List<SubBlockGreedy.Step> subGreedy = options.subGreedyLayers() == 0 ? List.of()
                : SubBlockGreedy.run(model, sequences, options.subGreedyLayers(), options.batchSequences(), progress);
        SubBlockAnalysis subBlocks = new SubBlockAnalysis(SubBlockSizes.of(model), m.subBlocks(), parts == null ? null : parts.attention(),
                parts == null ? null : parts.mlp(), parts == null ? null : parts.heads(), subGreedy, options.subGreedyLayers());
        return new Analysis(ModelIdentity.of(model), recordedOptions, model.config().numLayers(), options.angularTokens().label(),
                m.angularDistance(), m.blockInfluence(), m.relativeMagnitude(), m.cka(), ablation,
                loss == null ? Double.NaN : loss.mean(), greedy, subBlocks);
    }
}
