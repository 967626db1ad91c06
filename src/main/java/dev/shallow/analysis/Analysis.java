package dev.shallow.analysis;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;

/**
 * Everything {@code shallow analyse} measured on one model and calibration set (0-indexed layers,
 * L = numLayers, x_l = residual stream entering layer l, x_L = output of the last layer before the final norm).
 *
 * @param angularDistance   [L][L]: entry [l][n-1] = d(x_l, x_{l+n}) = mean arccos(cos(x_l, x_{l+n})) / pi, for 1 <= n <= L-l; NaN elsewhere
 * @param blockInfluence    [L]: BI_l = 1 - E_t[cos(x_l,t, x_{l+1},t)] over all calibration tokens
 * @param relativeMagnitude [L]: E_t[||x_{l+1} - x_l|| / ||x_{l+1}||]
 * @param cka               [L+1][L+1]: linear CKA between x_l and x_m
 * @param ablationLoss      [L]: calibration loss (mean nats/token) with layer l removed; null when not computed
 * @param baselineLoss      calibration loss of the whole model; NaN when not computed
 * @param options           the calibration and analysis options, as given (reproduce the run from them)
 */
public record Analysis(ModelIdentity model, JsonNode options, int numLayers, String angularTokens,
                       double[][] angularDistance, double[] blockInfluence, double[] relativeMagnitude,
                       double[][] cka, double[] ablationLoss, double baselineLoss) {

    /** Reads an analysis.json written by {@link #write}. To be implemented. */
    public static Analysis read(Path file) {
        throw new UnsupportedOperationException("analysis.json reading not implemented yet");
    }

    /** Writes analysis.json atomically. To be implemented. */
    public void write(Path file) {
        throw new UnsupportedOperationException("analysis.json writing not implemented yet");
    }
}
