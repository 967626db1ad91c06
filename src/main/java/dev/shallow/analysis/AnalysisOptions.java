package dev.shallow.analysis;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.tensor.Matmul;
import dev.shallow.tensor.MatmulPrecision;
import dev.shallow.transformer.MemoryBudget;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * How to analyse (the calibration set is chosen separately).
 *
 * @param angularTokens  tokens the angular distance averages over
 * @param ablation       also measure the calibration loss with each single layer removed
 * @param batchSequences sequences per forward pass (results do not depend on it)
 * @param ckaTokens      tokens in the CKA Gram matrices (0: no CKA); see {@link CkaSample}
 * @param ckaSeed        seed of the CKA token sample
 * @param greedy         metrics to run a greedy iterative removal by ({@link GreedyRemoval}); kept distinct, in enum order
 * @param greedySteps    layers each greedy removal takes out (ignored without {@code greedy})
 * @param memory         the memory the passes may use; over it they run layer by layer (results do not depend on it)
 * @param heads          also measure the loss with each attention head (and key/value group) zeroed ({@link SingleSubBlockAblation})
 * @param subGreedyLayers BlockPruner's greedy removal of sub-blocks goes on while one fits in this many layers' parameters
 *                        ({@link SubBlockGreedy}; 0: not run)
 */
public record AnalysisOptions(AngularTokens angularTokens, boolean ablation, int batchSequences, int ckaTokens, long ckaSeed,
                              List<GreedyRemoval.Metric> greedy, int greedySteps, MemoryBudget memory, boolean heads, int subGreedyLayers) implements Serializable {
    public static final int DEFAULT_BATCH = 4, DEFAULT_CKA_TOKENS = 512;

    public AnalysisOptions {
        if (batchSequences < 1) throw new IllegalArgumentException("batch must be >= 1 sequence, got " + batchSequences);
        if (ckaTokens < 0 || ckaTokens == 1) throw new IllegalArgumentException("CKA needs 0 (off) or >= 2 tokens, got " + ckaTokens);
        greedy = greedy.stream().distinct().sorted().toList();
        if (!greedy.isEmpty() && greedySteps < 1) throw new IllegalArgumentException("--greedy-steps must be >= 1, got " + greedySteps);
        if (subGreedyLayers < 0) throw new IllegalArgumentException("--greedy-sub-blocks must be >= 0, got " + subGreedyLayers);
    }

    /** Without head ablation or the sub-block greedy removal. */
    public AnalysisOptions(AngularTokens angularTokens, boolean ablation, int batchSequences, int ckaTokens, long ckaSeed,
                           List<GreedyRemoval.Metric> greedy, int greedySteps, MemoryBudget memory) {
        this(angularTokens, ablation, batchSequences, ckaTokens, ckaSeed, greedy, greedySteps, memory, false, 0);
    }

    /** With the default memory budget. */
    public AnalysisOptions(AngularTokens angularTokens, boolean ablation, int batchSequences, int ckaTokens, long ckaSeed,
                           List<GreedyRemoval.Metric> greedy, int greedySteps) {
        this(angularTokens, ablation, batchSequences, ckaTokens, ckaSeed, greedy, greedySteps, MemoryBudget.DEFAULT);
    }

    public static AnalysisOptions defaults() {
        return new AnalysisOptions(AngularTokens.LAST, false, DEFAULT_BATCH, DEFAULT_CKA_TOKENS, 0, List.of(), 0);
    }

    /** These options, but also with the single-layer ablation. */
    public AnalysisOptions withAblation() {
        return new AnalysisOptions(angularTokens, true, batchSequences, ckaTokens, ckaSeed, greedy, greedySteps, memory, heads, subGreedyLayers);
    }

    /** These options with another memory budget (the results stay the same). */
    public AnalysisOptions withMemory(MemoryBudget budget) {
        return new AnalysisOptions(angularTokens, ablation, batchSequences, ckaTokens, ckaSeed, greedy, greedySteps, budget, heads, subGreedyLayers);
    }

    /** These options, but also with a greedy removal by {@code metric} of at least {@code steps} steps. */
    public AnalysisOptions withGreedy(GreedyRemoval.Metric metric, int steps) {
        List<GreedyRemoval.Metric> metrics = new ArrayList<>(greedy);
        metrics.add(metric);
        return new AnalysisOptions(angularTokens, ablation, batchSequences, ckaTokens, ckaSeed, metrics,
                greedy.isEmpty() ? steps : Math.max(steps, greedySteps), memory, heads, subGreedyLayers);
    }

    /** These options, but also with BlockPruner's greedy removal of at least {@code layers} layers' parameters. */
    public AnalysisOptions withSubBlockGreedy(int layers) {
        return new AnalysisOptions(angularTokens, ablation, batchSequences, ckaTokens, ckaSeed, greedy, greedySteps, memory, heads,
                Math.max(layers, subGreedyLayers));
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("angular_tokens", angularTokens.label());
        o.put("ablation", ablation);
        o.put("batch_sequences", batchSequences);
        o.put("cka_tokens", ckaTokens);
        o.put("cka_seed", ckaSeed);
        ArrayNode metrics = o.putArray("greedy");
        for (GreedyRemoval.Metric m : greedy) metrics.add(m.label());
        if (!greedy.isEmpty()) o.put("greedy_steps", greedySteps);
        if (heads) o.put("heads", true);
        if (subGreedyLayers > 0) o.put("greedy_sub_blocks", subGreedyLayers);
        // the products' precision (--precision), when not the default: a sweep's run.json holds these options, so a sweep is
        // not resumed in another precision than it started in, and analysis.json says how its numbers were computed
        if (Matmul.precision() != MatmulPrecision.F32) o.put("precision", Matmul.precision().label());
        return o;
    }
}
