package dev.shallow.analysis;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * How to analyse (the calibration set is chosen separately).
 *
 * @param angularTokens  tokens the angular distance averages over
 * @param ablation       also measure the calibration loss with each single layer removed
 * @param batchSequences sequences per forward pass (results do not depend on it)
 * @param ckaTokens      tokens in the CKA Gram matrices (0: no CKA); see {@link CkaSample}
 * @param ckaSeed        seed of the CKA token sample
 */
public record AnalysisOptions(AngularTokens angularTokens, boolean ablation, int batchSequences, int ckaTokens, long ckaSeed) {
    public static final int DEFAULT_BATCH = 4, DEFAULT_CKA_TOKENS = 512;

    public AnalysisOptions {
        if (batchSequences < 1) throw new IllegalArgumentException("batch must be >= 1 sequence, got " + batchSequences);
        if (ckaTokens < 0 || ckaTokens == 1) throw new IllegalArgumentException("CKA needs 0 (off) or >= 2 tokens, got " + ckaTokens);
    }

    public static AnalysisOptions defaults() {
        return new AnalysisOptions(AngularTokens.LAST, false, DEFAULT_BATCH, DEFAULT_CKA_TOKENS, 0);
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("angular_tokens", angularTokens.label());
        o.put("ablation", ablation);
        o.put("batch_sequences", batchSequences);
        o.put("cka_tokens", ckaTokens);
        o.put("cka_seed", ckaSeed);
        return o;
    }
}
