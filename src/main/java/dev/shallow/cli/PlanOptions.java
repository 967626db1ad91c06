package dev.shallow.cli;

import dev.shallow.ShallowException;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.io.OutputPolicy;
import dev.shallow.model.Model;
import dev.shallow.prune.LayerCount;
import dev.shallow.prune.Plan;
import dev.shallow.prune.Strategy;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The options that choose layers by a strategy, shared by {@code plan} and {@code prune}. A strategy that needs an
 * analysis reads it from --analysis, or runs one in-process on --data with the calibration and analysis options.
 */
final class PlanOptions {
    @Option(names = "--strategy", paramLabel = "S", description = "angular, bi, magnitude, ablation, greedy-bi, greedy-angular, greedy-loss "
            + "(these need --analysis or --data), sequential, reverse, deepest (the n deepest but the last), random (with --seed); sub-blocks, "
            + "at most n layers' parameters: attention (LLM-Drop), mlp, sub-bi, sub-ablation, greedy-sub (BlockPruner); these need an analysis too.")
    String strategy;

    @Option(names = "--n", paramLabel = "N", description = "Number of layers to remove (1 <= N <= L-1).")
    Integer n;

    @Option(names = "--fraction", paramLabel = "F", description = "Fraction of the L layers to remove: n = round(F x L), half up (0.25 of 10 = 2.5 gives 3).")
    String fraction;

    @Option(names = "--analysis", paramLabel = "FILE", description = "analysis.json written by 'shallow analyse' for this model.")
    Path analysisFile;

    @Mixin
    AnalysisRunOptions run;

    /** The calibration file given with --data, or null for none or a dataset name. */
    Path dataFile() {
        return OutputPolicy.existing(run.data);
    }

    boolean anyGiven() {
        return strategyGiven() || !run.given().isEmpty();
    }

    /** Whether a strategy option (--strategy, --n, --fraction, --analysis) was given. */
    boolean strategyGiven() {
        return strategy != null || n != null || fraction != null || analysisFile != null;
    }

    Strategy strategy() {
        if (strategy == null) throw new ShallowException("--strategy is required (one of: " + Strategy.names() + ")");
        return Strategy.parse(strategy);
    }

    /**
     * The analysis the strategy selects from, for up to {@code maxN} removed layers: read from --analysis (refused when it was
     * made for another model than {@code model}), else computed now on --data from the model in {@code modelDir}; null when
     * the strategy needs none.
     */
    Analysis analysis(Path modelDir, ModelIdentity model, int maxN) {
        return analysis(modelDir, model, maxN, false);
    }

    /** As {@link #analysis(Path, ModelIdentity, int)}; {@code calibrationUsedElsewhere}: the calibration options also serve another step. */
    Analysis analysis(Path modelDir, ModelIdentity model, int maxN, boolean calibrationUsedElsewhere) {
        Strategy s = strategy();
        if (analysisFile != null) {
            if (!run.given().isEmpty() && !calibrationUsedElsewhere) {
                throw new ShallowException(String.join(", ", run.given()) + ": calibration options analyse the model now; they cannot be "
                        + "combined with --analysis " + analysisFile);
            }
            return Analysis.readFor(analysisFile, model);
        }
        if (!s.needsAnalysis()) {
            if (!run.given().isEmpty() && !calibrationUsedElsewhere) {
                throw new ShallowException(String.join(", ", run.given()) + ": --strategy " + s.cliName() + " uses no analysis");
            }
            return null;
        }
        if (run.data == null) {
            throw new ShallowException("--strategy " + s.cliName() + " needs an analysis: give --analysis FILE (from 'shallow analyse') "
                    + "or --data stories|FILE to analyse the model now");
        }
        try (Model m = Model.load(modelDir)) {
            return run.analyse(m, run.data, s.analysisOptions(run.analysisOptions(), maxN));
        }
    }

    /** n from --n or --fraction (exactly one). */
    int count(int numLayers) {
        if ((n == null) == (fraction == null)) throw new ShallowException("give exactly one of --n N and --fraction F");
        return n != null ? LayerCount.of(n, numLayers) : LayerCount.ofFraction(fraction, numLayers);
    }

    Plan plan(ModelIdentity model, Analysis analysis, int count) {
        return Plan.of(model, strategy(), count, n == null ? fraction : null, run.seed, analysis, analysisFile);
    }
}
