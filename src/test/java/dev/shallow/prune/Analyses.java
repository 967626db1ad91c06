package dev.shallow.prune;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.GreedyRemoval;
import dev.shallow.analysis.ModelIdentity;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Analyses built in memory from hand-chosen metric vectors. */
final class Analyses {
    private Analyses() {
    }

    static ModelIdentity identity(int numLayers) {
        return new ModelIdentity("test-model", "LlamaForCausalLM", numLayers, 64, 1000, null);
    }

    /** An analysis with the given angular distance matrix [L][L] and per-layer metrics (ablation may be null). */
    static Analysis of(double[][] d, double[] bi, double[] magnitude, double[] ablation) {
        int numLayers = bi.length;
        return new Analysis(identity(numLayers), JsonNodeFactory.instance.objectNode().put("data", "hand-built"), numLayers, "last",
                d, bi, magnitude, new double[numLayers + 1][numLayers + 1], ablation, Double.NaN, Map.of());
    }

    /** A matrix [L][L] of NaN but d[l][n-1] = value(l, n) for l + n <= L. */
    static double[][] angular(int numLayers, java.util.function.IntBinaryOperator thousandths) {
        double[][] d = new double[numLayers][numLayers];
        for (int l = 0; l < numLayers; l++) {
            Arrays.fill(d[l], Double.NaN);
            for (int n = 1; l + n <= numLayers; n++) d[l][n - 1] = thousandths.applyAsInt(l, n) / 1000.0;
        }
        return d;
    }

    /** {@code a} with these greedy removal orders. */
    static Analysis withGreedy(Analysis a, Map<GreedyRemoval.Metric, List<GreedyRemoval.Step>> greedy) {
        return new Analysis(a.model(), a.options(), a.numLayers(), a.angularTokens(), a.angularDistance(), a.blockInfluence(),
                a.relativeMagnitude(), a.cka(), a.ablationLoss(), a.baselineLoss(), greedy);
    }

    /** Per-layer metrics only (angular distance all equal). */
    static Analysis perLayer(double[] bi, double[] magnitude, double[] ablation) {
        return of(angular(bi.length, (l, n) -> 500), bi, magnitude, ablation);
    }
}
