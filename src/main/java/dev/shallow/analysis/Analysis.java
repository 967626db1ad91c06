package dev.shallow.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shallow.ShallowException;
import dev.shallow.io.AtomicFiles;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything {@code shallow analyse} measured on one model and calibration set (0-indexed layers,
 * L = numLayers, x_l = residual stream entering layer l, x_L = output of the last layer before the final norm).
 *
 * @param angularDistance   [L][L]: entry [l][n-1] = d(x_l, x_{l+n}) = mean arccos(cos(x_l, x_{l+n})) / pi, for 1 <= n <= L-l; NaN elsewhere
 * @param blockInfluence    [L]: BI_l = 1 - E_t[cos(x_l,t, x_{l+1},t)] over all calibration tokens
 * @param relativeMagnitude [L]: E_t[||x_{l+1} - x_l|| / ||x_{l+1}||]
 * @param cka               [L+1][L+1]: linear CKA between x_l and x_m; null when not computed
 * @param ablationLoss      [L]: calibration loss (mean nats/token) with layer l removed; null when not computed
 * @param baselineLoss      calibration loss of the whole model; NaN when not computed
 * @param greedy            per metric run, the greedy iterative removal's steps in order (layer removed, score that chose it);
 *                          empty when none was run
 * @param subBlocks         what was measured below the layer (sub-blocks, heads); null in an analysis written before it was
 * @param options           the calibration and analysis options, as given (reproduce the run from them):
 *                          {"calibration": {..., "token_sha256"}, "analysis": {...}}
 */
public record Analysis(ModelIdentity model, JsonNode options, int numLayers, String angularTokens,
                       double[][] angularDistance, double[] blockInfluence, double[] relativeMagnitude,
                       double[][] cka, double[] ablationLoss, double baselineLoss,
                       Map<GreedyRemoval.Metric, List<GreedyRemoval.Step>> greedy, SubBlockAnalysis subBlocks) {

    public Analysis {
        greedy = Map.copyOf(greedy);
    }

    /** Without sub-block measurements. */
    public Analysis(ModelIdentity model, JsonNode options, int numLayers, String angularTokens, double[][] angularDistance, double[] blockInfluence,
                    double[] relativeMagnitude, double[][] cka, double[] ablationLoss, double baselineLoss,
                    Map<GreedyRemoval.Metric, List<GreedyRemoval.Step>> greedy) {
        this(model, options, numLayers, angularTokens, angularDistance, blockInfluence, relativeMagnitude, cka, ablationLoss, baselineLoss, greedy, null);
    }

    /** The sub-block measurements, or a one-line error naming {@code need} when this analysis has none. */
    public SubBlockAnalysis requireSubBlocks(String need) {
        if (subBlocks == null) throw new ShallowException(need + ": the analysis has no sub-block metrics (it predates them: rerun 'shallow analyse')");
        return subBlocks;
    }

    /** Reads an analysis.json written by {@link #write}; malformed files give a one-line error naming the file. */
    public static Analysis read(Path file) {
        return AnalysisJson.read(file);
    }

    /** Reads an analysis.json and refuses it unless it was computed on {@code model} (same fingerprint). */
    public static Analysis readFor(Path file, ModelIdentity model) {
        Analysis a = read(file);
        try {
            a.checkMatches(model);
        } catch (ShallowException e) {
            throw ShallowException.at(file, e.getMessage());
        }
        return a;
    }

    /** Writes analysis.json atomically. */
    public void write(Path file) {
        AtomicFiles.writeJson(file, AnalysisJson.toJson(this));
    }

    /** Throws a {@link ShallowException} naming both models unless this analysis is of {@code current}. */
    public void checkMatches(ModelIdentity current) {
        try {
            model.checkSameModelAs(current);
        } catch (ShallowException e) {
            throw new ShallowException("analysis " + e.getMessage());
        }
    }

    /** l*(n) = argmin_l d(x_l, x_{l+n}) over 0 <= l <= L - n (the first on ties): drop layers l* .. l*+n-1. */
    public int bestBlockStart(int n) {
        if (n < 1 || n > numLayers) throw new IllegalArgumentException("block size must be in 1.." + numLayers + ", got " + n);
        int best = 0;
        for (int l = 1; l + n <= numLayers; l++) if (angularDistance[l][n - 1] < angularDistance[best][n - 1]) best = l;
        return best;
    }

    /**
     * The first {@code n} steps of the greedy removal by {@code metric}, in removal order; a one-line error when
     * this analysis has no such removal or fewer than {@code n} steps.
     */
    public List<GreedyRemoval.Step> greedySteps(GreedyRemoval.Metric metric, int n) {
        List<GreedyRemoval.Step> steps = greedy.get(metric);
        String run = "'shallow analyse --greedy " + metric.label() + " --greedy-steps " + n + "'";
        if (steps == null) throw new ShallowException("the analysis has no greedy removal by " + metric.label() + " (run " + run + ")");
        if (steps.size() < n) {
            throw new ShallowException("the analysis' greedy removal by " + metric.label() + " has " + steps.size() + " steps, fewer than n = " + n
                    + " (run " + run + ")");
        }
        return steps.subList(0, n);
    }

    /** The sha256 prefix of the calibration token ids this analysis was computed on. */
    public String calibrationHash() {
        return options.path("calibration").path("token_sha256").asText();
    }
}
