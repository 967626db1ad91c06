package dev.shallow.prune;

import dev.shallow.ShallowException;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.SubBlock;
import dev.shallow.analysis.SubBlockAnalysis;
import dev.shallow.analysis.SubBlockGreedy;
import dev.shallow.analysis.SubBlockMetrics;
import dev.shallow.analysis.SubBlockSizes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sub-block strategies on a hand-built 4-layer analysis: attention 30 and MLP 70 parameters a layer, so a budget of n
 * layers is 100 n parameters; sub-blocks are taken in score order while they fit, both halves of a layer make it whole.
 */
class SubBlockStrategyTest {
    static final double[] ATTENTION_BI = {0.5, 0.01, 0.02, 0.3}, MLP_BI = {0.6, 0.03, 0.4, 0.05};

    private static Analysis analysis() {
        Analysis a = Analyses.perLayer(new double[]{0.4, 0.1, 0.2, 0.3}, new double[4], null);
        SubBlockAnalysis s = new SubBlockAnalysis(new SubBlockSizes(new long[]{30, 30, 30, 30}, new long[]{70, 70, 70, 70}),
                new SubBlockMetrics(ATTENTION_BI, MLP_BI, new double[4], new double[4]), null, null, null,
                List.of(step(SubBlock.Kind.MLP, 1), step(SubBlock.Kind.ATTENTION, 2), step(SubBlock.Kind.MLP, 3), step(SubBlock.Kind.ATTENTION, 0)), 2);
        return new Analysis(a.model(), a.options(), 4, "last", a.angularDistance(), a.blockInfluence(), a.relativeMagnitude(), a.cka(), null, Double.NaN,
                Map.of(), s);
    }

    private static SubBlockGreedy.Step step(SubBlock.Kind kind, int layer) {
        return new SubBlockGreedy.Step(new SubBlock(kind, layer), 1 + layer / 10.0);
    }

    private static void assertSelects(Strategy s, int n, int[] layers, int[] attention, int[] mlp) {
        Selection sel = s.select(analysis(), 4, n, 0);
        assertArrayEquals(layers, sel.removed(), s.cliName() + " n=" + n + " layers");
        assertArrayEquals(attention, sel.removedAttention(), s.cliName() + " n=" + n + " attention");
        assertArrayEquals(mlp, sel.removedMlp(), s.cliName() + " n=" + n + " MLP");
    }

    @Test
    void lowestScoreFirstWhileItFits() {
        // attention 1, 2, 3 fit in 100 (90); attention 0 would make 120
        assertSelects(Strategy.ATTENTION, 1, new int[0], new int[]{1, 2, 3}, new int[0]);
        // MLP 1 fits (70); MLP 3 would make 140
        assertSelects(Strategy.MLP, 1, new int[0], new int[0], new int[]{1});
        // attention 1, attention 2, MLP 1, MLP 3 (200): layer 1 goes whole
        assertSelects(Strategy.SUB_BI, 2, new int[]{1}, new int[]{2}, new int[]{3});
        assertArrayEquals(new double[]{0.01, 0.02, 0.03, 0.05}, Strategy.SUB_BI.select(analysis(), 4, 2, 0).values(), "scores in the order chosen");
    }

    @Test
    void greedyTakesThePrefixThatFits() {
        assertSelects(Strategy.GREEDY_SUB, 1, new int[0], new int[]{2}, new int[]{1}); // 70 + 30; MLP 3 would make 170
        assertSelects(Strategy.GREEDY_SUB, 2, new int[0], new int[]{0, 2}, new int[]{1, 3});
        ShallowException e = assertThrows(ShallowException.class, () -> Strategy.GREEDY_SUB.select(analysis(), 4, 3, 0));
        assertTrue(e.getMessage().contains("--greedy-sub-blocks 3"), e.getMessage());
        assertThrows(ShallowException.class, () -> Strategy.SUB_ABLATION.select(analysis(), 4, 1, 0), "no sub-block ablation losses");
    }

    @Test
    void planRoundTripsTheSubBlocks(@TempDir Path tmp) {
        Plan p = Plan.of(Analyses.identity(4), Strategy.SUB_BI, 2, null, 0, analysis(), tmp.resolve("a.json"));
        Path file = tmp.resolve("plan.json");
        p.write(file);
        Plan back = Plan.read(file);
        assertArrayEquals(new int[]{1}, back.removed());
        assertArrayEquals(new int[]{2}, back.removedAttention());
        assertArrayEquals(new int[]{3}, back.removedMlp());
        assertArrayEquals(new int[]{0, 2, 3}, back.kept());
    }
}
