package dev.shallow.analysis;

import dev.shallow.Shared;
import dev.shallow.bench.ModelShape;
import dev.shallow.bench.RandomCheckpoint;
import dev.shallow.model.Model;
import dev.shallow.transformer.MemoryBudget;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A model run layer by layer (the schedule for models larger than the memory budget) gives the same
 * analysis, bit for bit, as in memory: every metric, the ablation and the greedy removals.
 */
class LayerMajorAnalysisTest {
    /** Budgets under the model's size: one byte (one batch per chunk) and 2 MiB (all four batches in one chunk with last-token angles; one with all-token angles, whose kept streams are bigger). */
    private static final MemoryBudget[] LAYER_MAJOR = {new MemoryBudget(1), new MemoryBudget(2L << 20)};

    static void assertSameAnalysis(Analysis want, Analysis got) {
        assertArrayEquals(want.angularDistance(), got.angularDistance());
        assertArrayEquals(want.blockInfluence(), got.blockInfluence());
        assertArrayEquals(want.relativeMagnitude(), got.relativeMagnitude());
        assertArrayEquals(want.cka(), got.cka());
        assertArrayEquals(want.ablationLoss(), got.ablationLoss());
        assertEquals(want.baselineLoss(), got.baselineLoss());
        assertEquals(want.greedy(), got.greedy());
    }

    @Test
    void everyMetricIsTheSameLayerByLayer() throws IOException {
        int[][] seqs = GoldenSequences.of("stories-16L");
        try (Model model = Model.load(Shared.model("stories-16L"))) {
            for (AngularTokens tokens : AngularTokens.values()) {
                AnalysisOptions o = new AnalysisOptions(tokens, true, 1, 64, 3, List.of(GreedyRemoval.Metric.BI, GreedyRemoval.Metric.LOSS), 2);
                Analysis inMemory = Analyser.run(model, seqs, o, null, Progress.NONE);
                for (MemoryBudget budget : LAYER_MAJOR) assertSameAnalysis(inMemory, Analyser.run(model, seqs, o.withMemory(budget), null, Progress.NONE));
            }
        }
    }

    /** The same on a TinyLlama-1.1B-shaped checkpoint (seeded random BF16 weights, written once under target/). */
    @Test
    void tinyLlamaShapedCheckpointGivesTheSameMetrics() throws IOException {
        Path dir = RandomCheckpoint.ensure(ModelShape.TINYLLAMA_1_1B, 0, Path.of("target", "test-models", "tinyllama-1.1b-random"), null);
        SplittableRandom rng = new SplittableRandom(1);
        int[][] seqs = new int[3][];
        for (int s = 0; s < seqs.length; s++) seqs[s] = rng.ints(12 + 4 * s, 3, 32000).toArray();
        try (Model model = Model.load(dir)) {
            AnalysisOptions o = new AnalysisOptions(AngularTokens.LAST, false, 2, 16, 0, List.of(), 0);
            Analysis inMemory = Analyser.run(model, seqs, o, null, Progress.NONE);
            assertSameAnalysis(inMemory, Analyser.run(model, seqs, o.withMemory(new MemoryBudget(1)), null, Progress.NONE));
        }
    }
}
