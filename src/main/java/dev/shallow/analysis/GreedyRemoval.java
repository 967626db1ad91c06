package dev.shallow.analysis;

import dev.shallow.ShallowException;
import dev.shallow.model.Model;
import dev.shallow.transformer.MemoryBudget;
import dev.shallow.transformer.Transformer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Iterative layer removal (as SLEB does): remove one layer at a time, re-measuring on the already
 * pruned model before each choice.
 */
public final class GreedyRemoval {
    private GreedyRemoval() {
    }

    /** What a step minimises over the remaining layers, measured on the model pruned so far. */
    public enum Metric {
        /** Block Influence of each remaining layer. */
        BI,
        /** d(x_i, x_{i+1}) across each remaining layer, on the last token (Gromov et al.). */
        ANGULAR,
        /** The calibration loss after removing the layer. */
        LOSS;

        /** The command-line and JSON name: bi, angular, loss. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Metric of(String label) {
            for (Metric m : values()) if (m.label().equals(label)) return m;
            throw new IllegalArgumentException("--greedy '" + label + "': must be bi, angular or loss");
        }
    }

    /** One removal: the layer (original index) and the metric value that chose it. */
    public record Step(int removedLayer, double score) {
    }

    /** {@code n} greedy removals by {@code metric}, in order; ties go to the shallowest layer. */
    public static List<Step> run(Model model, int[][] calibration, Metric metric, int n) {
        return run(CalibrationRunner.local(model, calibration), metric, n, AnalysisOptions.DEFAULT_BATCH, MemoryBudget.DEFAULT, Progress.NONE);
    }

    /** The same, each step's candidates measured by {@code runner}. */
    public static List<Step> run(CalibrationRunner runner, Metric metric, int n, int batchSequences, MemoryBudget memory, Progress progress) {
        int layers = runner.model().config().numLayers();
        if (n < 1 || n >= layers) throw new ShallowException("greedy removal of " + n + " layers: must be 1.." + (layers - 1) + " (the model has " + layers + ")");
        List<Step> steps = new ArrayList<>();
        int[] kept = Transformer.allLayers(layers);
        RunCounter runs = new RunCounter("greedy-" + metric.label(), metric == Metric.LOSS ? n * layers - n * (n - 1) / 2 : n,
                Batches.tokens(runner.sequences()), progress);
        for (int s = 0; s < n; s++) {
            double[] scores = scores(runner, kept, metric, batchSequences, memory, runs);
            int best = 0;
            for (int i = 1; i < kept.length; i++) if (scores[i] < scores[best]) best = i;
            steps.add(new Step(kept[best], scores[best]));
            int removed = kept[best];
            kept = Arrays.stream(kept).filter(l -> l != removed).toArray();
        }
        return steps;
    }

    /** Progress over all the passes a greedy removal makes (sum over steps s of L - s for loss, one per step otherwise). */
    private static final class RunCounter {
        private final String phase;
        private final long totalTokens;
        private final long tokensPerRun;
        private final Progress progress;
        private long finished;

        RunCounter(String phase, long runs, long tokensPerRun, Progress progress) {
            this.phase = phase;
            this.totalTokens = runs * tokensPerRun;
            this.tokensPerRun = tokensPerRun;
            this.progress = progress;
        }

        /** The progress of the next {@code passes} passes. */
        Progress next(int passes) {
            long before = finished * tokensPerRun;
            finished += passes;
            return (_, done, _) -> progress.update(phase, before + done, totalTokens);
        }
    }

    /** scores[i] for removing kept[i] from the model that runs {@code kept}. */
    private static double[] scores(CalibrationRunner runner, int[] kept, Metric metric, int batch, MemoryBudget memory, RunCounter runs) {
        if (metric == Metric.LOSS) {
            List<int[]> fewer = Arrays.stream(kept).mapToObj(drop -> Arrays.stream(kept).filter(l -> l != drop).toArray()).toList();
            return LayerSetLosses.means(runner.run(new LayerSetLosses(fewer, batch, memory), runs.phase, runs.next(kept.length)));
        }
        AnalysisOptions o = new AnalysisOptions(AngularTokens.LAST, false, batch, 0, 0, List.of(), 0, memory);
        LayerMetrics m = runner.run(new LayerStatistics.Job(kept, o, null, false), runs.phase, runs.next(1)).metrics();
        if (metric == Metric.BI) return m.blockInfluence();
        return Arrays.stream(m.angularDistance()).mapToDouble(row -> row[0]).toArray();
    }
}
