package dev.shallow.prune;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.ModelIdentity;

import java.util.Arrays;

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
                d, bi, magnitude, new double[numLayers + 1][numLayers + 1], ablation, Double.NaN);
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

    /** Per-layer metrics only (angular distance all equal). */
    static Analysis perLayer(double[] bi, double[] magnitude, double[] ablation) {
        return of(angular(bi.length, (l, n) -> 500), bi, magnitude, ablation);
    }
}
