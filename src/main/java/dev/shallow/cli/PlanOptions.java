package dev.shallow.cli;

import dev.shallow.ShallowException;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.prune.LayerCount;
import dev.shallow.prune.Plan;
import dev.shallow.prune.Strategy;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options that choose layers by a strategy, shared by {@code plan} and {@code prune}. */
final class PlanOptions {
    @Option(names = "--strategy", paramLabel = "S", description = "angular, bi, magnitude, ablation (these need --analysis), "
            + "sequential, reverse, deepest (the n deepest but the last), random (with --seed).")
    String strategy;

    @Option(names = "--n", paramLabel = "N", description = "Number of layers to remove (1 <= N <= L-1).")
    Integer n;

    @Option(names = "--fraction", paramLabel = "F", description = "Fraction of the L layers to remove: n = round(F x L), half up (0.25 of 10 = 2.5 gives 3).")
    String fraction;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of the random strategy (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--analysis", paramLabel = "FILE", description = "analysis.json written by 'shallow analyse' for this model.")
    Path analysisFile;

    boolean anyGiven() {
        return strategy != null || n != null || fraction != null || analysisFile != null;
    }

    Strategy strategy() {
        if (strategy == null) throw new ShallowException("--strategy is required (one of: " + Strategy.names() + ")");
        return Strategy.parse(strategy);
    }

    /** The analysis of --analysis, refused when it was made for another model than {@code model}; null without --analysis. */
    Analysis analysis(ModelIdentity model) {
        if (analysisFile == null) return null;
        return Analysis.readFor(analysisFile, model);
    }

    /** n from --n or --fraction (exactly one). */
    int count(int numLayers) {
        if ((n == null) == (fraction == null)) throw new ShallowException("give exactly one of --n N and --fraction F");
        return n != null ? LayerCount.of(n, numLayers) : LayerCount.ofFraction(fraction, numLayers);
    }

    Plan plan(ModelIdentity model, Analysis analysis, int count) {
        return Plan.of(model, strategy(), count, n == null ? fraction : null, seed, analysis, analysisFile);
    }
}
