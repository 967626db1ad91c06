package dev.shallow.bench;

/**
 * What collecting every analysis metric costs: the calibration batch through a plain forward (no observer,
 * last-token logits) and through the analysis pass (all metrics, CKA included), in calibration tokens/s.
 *
 * @param ckaTokens tokens in the CKA Gram matrices of the analysis pass
 */
public record AnalysisOverhead(int sequences, int seqLen, int ckaTokens, Measurement plain, Measurement analysis) {
    /** Analysis time / plain forward time (1.07 = 7% overhead; the target is under 1.10). */
    public double timeRatio() {
        return plain.perSecond() / analysis.perSecond();
    }

    public String name() {
        return "analyse_" + sequences + "x" + seqLen;
    }
}
