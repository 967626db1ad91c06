package dev.shallow.prune;

import dev.shallow.ShallowException;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.AnalysisOptions;
import dev.shallow.analysis.GreedyRemoval;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every strategy on hand-built metric vectors: the chosen layers, ties (lower index wins), n = 1 and n = L-1. */
class StrategyTest {
    static final int L = 6;
    //                           layer:  0    1    2    3    4    5
    static final double[] BI =        {0.9, 0.2, 0.1, 0.1, 0.3, 0.8};
    static final double[] MAGNITUDE = {0.5, 0.4, 0.6, 0.1, 0.4, 0.7};
    static final double[] ABLATION =  {3.0, 1.1, 1.2, 1.0, 1.2, 2.0};
    static final Analysis PER_LAYER = Analyses.perLayer(BI, MAGNITUDE, ABLATION);

    static int[] select(Strategy s, Analysis a, int n) {
        return s.select(a, L, n, 0).removed();
    }

    @Test
    void angularTakesTheBlockWithTheSmallestDistanceForEachN() {
        // d[l][n-1]: for n = 1 layer 4 is best (0.050); for n = 2 block 1-2 (0.080); for n = 3, 2-4 (0.090)
        int[][] thousandths = {
                {200, 300, 400, 500, 600, 700},
                {100, 80, 120, 400, 500},
                {90, 95, 90, 300},
                {70, 100, 150},
                {50, 200},
                {60}};
        Analysis a = Analyses.of(Analyses.angular(L, (l, n) -> thousandths[l][n - 1]), BI, MAGNITUDE, null);
        assertArrayEquals(new int[]{4}, select(Strategy.ANGULAR, a, 1));
        assertArrayEquals(new int[]{1, 2}, select(Strategy.ANGULAR, a, 2));
        assertArrayEquals(new int[]{2, 3, 4}, select(Strategy.ANGULAR, a, 3));
        assertArrayEquals(new int[]{1, 2, 3, 4, 5}, select(Strategy.ANGULAR, a, L - 1), "n = L-1: d[0][4] = 0.600, d[1][4] = 0.500");
    }

    @Test
    void angularTiesGoToTheSmallestStartAndOnlyBlocksInsideTheModelCount() {
        Analysis ties = Analyses.of(Analyses.angular(L, (l, n) -> 100), BI, MAGNITUDE, null);
        assertArrayEquals(new int[]{0}, select(Strategy.ANGULAR, ties, 1));
        assertArrayEquals(new int[]{0, 1, 2}, select(Strategy.ANGULAR, ties, 3));
        Analysis lastBest = Analyses.of(Analyses.angular(L, (l, n) -> 100 - l), BI, MAGNITUDE, null);
        assertArrayEquals(new int[]{3, 4, 5}, select(Strategy.ANGULAR, lastBest, 3), "l + n <= L: block 3-5 is the last one");
        Selection s = Strategy.ANGULAR.select(lastBest, L, 3, 0);
        assertEquals("angular_distance", s.metric());
        assertArrayEquals(new double[]{0.097}, s.values());
    }

    @Test
    void lowestBlockInfluenceWithTiesToTheLowerIndex() {
        assertArrayEquals(new int[]{2}, select(Strategy.BI, PER_LAYER, 1), "2 and 3 tie at 0.1: the lower index");
        assertArrayEquals(new int[]{2, 3}, select(Strategy.BI, PER_LAYER, 2));
        assertArrayEquals(new int[]{1, 2, 3}, select(Strategy.BI, PER_LAYER, 3), "not contiguous in general, contiguous here");
        assertArrayEquals(new int[]{1, 2, 3, 4, 5}, select(Strategy.BI, PER_LAYER, L - 1));
        Selection s = Strategy.BI.select(PER_LAYER, L, 3, 0);
        assertEquals("block_influence", s.metric());
        assertArrayEquals(new double[]{0.2, 0.1, 0.1}, s.values(), "values of the removed layers, in layer order");
    }

    @Test
    void lowestBlockInfluenceNeedNotBeContiguous() {
        Analysis a = Analyses.perLayer(new double[]{0.5, 0.1, 0.6, 0.7, 0.05, 0.9}, MAGNITUDE, null);
        assertArrayEquals(new int[]{1, 4}, select(Strategy.BI, a, 2));
    }

    @Test
    void smallestRelativeMagnitude() {
        assertArrayEquals(new int[]{3}, select(Strategy.MAGNITUDE, PER_LAYER, 1));
        assertArrayEquals(new int[]{1, 3}, select(Strategy.MAGNITUDE, PER_LAYER, 2), "1 and 4 tie at 0.4: the lower index");
        assertArrayEquals(new int[]{1, 3, 4}, select(Strategy.MAGNITUDE, PER_LAYER, 3));
        assertArrayEquals(new int[]{0, 1, 2, 3, 4}, select(Strategy.MAGNITUDE, PER_LAYER, L - 1));
    }

    @Test
    void lowestAblationLoss() {
        assertArrayEquals(new int[]{3}, select(Strategy.ABLATION, PER_LAYER, 1));
        assertArrayEquals(new int[]{1, 2, 3}, select(Strategy.ABLATION, PER_LAYER, 3), "2 and 4 tie at 1.2: the lower index");
        assertArrayEquals(new int[]{1, 2, 3, 4, 5}, select(Strategy.ABLATION, PER_LAYER, L - 1));
        ShallowException e = assertThrows(ShallowException.class, () -> select(Strategy.ABLATION, Analyses.perLayer(BI, MAGNITUDE, null), 1));
        assertTrue(e.getMessage().contains("no single-layer ablation losses"), e.getMessage());
    }

    static GreedyRemoval.Step step(int layer, double score) {
        return new GreedyRemoval.Step(layer, score);
    }

    @Test
    void greedyTakesTheFirstNStepsOfTheStoredOrder() {
        Analysis a = Analyses.withGreedy(PER_LAYER, Map.of(
                GreedyRemoval.Metric.BI, List.of(step(4, 0.1), step(1, 0.2), step(5, 0.3)),
                GreedyRemoval.Metric.LOSS, List.of(step(2, 1.5))));
        assertArrayEquals(new int[]{4}, select(Strategy.GREEDY_BI, a, 1));
        assertArrayEquals(new int[]{1, 4}, select(Strategy.GREEDY_BI, a, 2), "removal order 4, 1; listed sorted");
        Selection s = Strategy.GREEDY_BI.select(a, L, 3, 0);
        assertArrayEquals(new int[]{1, 4, 5}, s.removed());
        assertEquals("greedy_bi_score", s.metric());
        assertArrayEquals(new double[]{0.2, 0.1, 0.3}, s.values(), "each layer's step score, in layer order");
        assertArrayEquals(new int[]{2}, select(Strategy.GREEDY_LOSS, a, 1));

        ShallowException tooShort = assertThrows(ShallowException.class, () -> select(Strategy.GREEDY_LOSS, a, 2));
        assertEquals(1, tooShort.getMessage().lines().count());
        for (String part : new String[]{"--strategy greedy-loss", "1 steps, fewer than n = 2", "--greedy loss --greedy-steps 2"}) {
            assertTrue(tooShort.getMessage().contains(part), tooShort.getMessage());
        }
        ShallowException absent = assertThrows(ShallowException.class, () -> select(Strategy.GREEDY_ANGULAR, a, 1));
        assertTrue(absent.getMessage().contains("no greedy removal by angular"), absent.getMessage());
    }

    @Test
    void strategiesAskTheAnalysisForWhatTheyNeed() {
        AnalysisOptions base = AnalysisOptions.defaults();
        assertEquals(base, Strategy.BI.analysisOptions(base, 3));
        assertTrue(Strategy.ABLATION.analysisOptions(base, 3).ablation());
        AnalysisOptions greedy = Strategy.GREEDY_LOSS.analysisOptions(base, 3);
        assertEquals(List.of(GreedyRemoval.Metric.LOSS), greedy.greedy());
        assertEquals(3, greedy.greedySteps());
        AnalysisOptions more = Strategy.GREEDY_BI.analysisOptions(greedy, 2);
        assertEquals(List.of(GreedyRemoval.Metric.BI, GreedyRemoval.Metric.LOSS), more.greedy());
        assertEquals(3, more.greedySteps(), "steps never fall below those asked for");
    }

    @Test
    void positionalStrategies() {
        assertArrayEquals(new int[]{0}, select(Strategy.SEQUENTIAL, null, 1));
        assertArrayEquals(new int[]{0, 1, 2}, select(Strategy.SEQUENTIAL, null, 3));
        assertArrayEquals(new int[]{0, 1, 2, 3, 4}, select(Strategy.SEQUENTIAL, null, L - 1));
        assertArrayEquals(new int[]{5}, select(Strategy.REVERSE, null, 1));
        assertArrayEquals(new int[]{3, 4, 5}, select(Strategy.REVERSE, null, 3));
        assertArrayEquals(new int[]{1, 2, 3, 4, 5}, select(Strategy.REVERSE, null, L - 1));
        assertArrayEquals(new int[]{4}, select(Strategy.DEEPEST, null, 1), "the final layer 5 stays");
        assertArrayEquals(new int[]{2, 3, 4}, select(Strategy.DEEPEST, null, 3));
        assertArrayEquals(new int[]{0, 1, 2, 3, 4}, select(Strategy.DEEPEST, null, L - 1));
    }

    @Test
    void randomIsReproducibleAndDependsOnTheSeed() {
        // pinned: SplittableRandom(seed) drives a partial Fisher-Yates shuffle; these sets must never change
        assertArrayEquals(new int[]{2, 9, 10, 13}, Strategy.RANDOM.select(null, 16, 4, 0).removed());
        assertArrayEquals(new int[]{0, 1, 3, 13}, Strategy.RANDOM.select(null, 16, 4, 1).removed());
        Set<String> distinct = new HashSet<>();
        for (long seed = 0; seed < 20; seed++) {
            int[] a = Strategy.RANDOM.select(null, 16, 4, seed).removed();
            assertArrayEquals(a, Strategy.RANDOM.select(null, 16, 4, seed).removed());
            assertEquals(4, a.length);
            for (int i = 1; i < a.length; i++) assertTrue(a[i - 1] < a[i], "sorted and distinct");
            distinct.add(Layers.format(a));
        }
        assertTrue(distinct.size() >= 15, "different seeds give different sets: " + distinct);
        assertNotEquals(Layers.format(Strategy.RANDOM.select(null, 16, 4, 0).removed()), Layers.format(Strategy.RANDOM.select(null, 16, 4, 2).removed()));
        assertEquals(1, Strategy.RANDOM.select(null, L, 1, 3).removed().length);
        assertEquals(L - 1, Strategy.RANDOM.select(null, L, L - 1, 3).removed().length);
    }

    @Test
    void refusals() {
        assertThrows(ShallowException.class, () -> select(Strategy.SEQUENTIAL, null, 0));
        assertThrows(ShallowException.class, () -> select(Strategy.SEQUENTIAL, null, L));
        ShallowException noAnalysis = assertThrows(ShallowException.class, () -> select(Strategy.BI, null, 1));
        assertTrue(noAnalysis.getMessage().contains("--analysis"), noAnalysis.getMessage());
        assertThrows(ShallowException.class, () -> Strategy.BI.select(PER_LAYER, L + 1, 1, 0), "analysis of another layer count");
        double[] nan = BI.clone();
        nan[2] = Double.NaN;
        assertThrows(ShallowException.class, () -> select(Strategy.BI, Analyses.perLayer(nan, MAGNITUDE, null), 1));
        assertThrows(ShallowException.class, () -> Strategy.parse("cosine"));
        for (Strategy s : Strategy.values()) assertEquals(s, Strategy.parse(s.cliName()));
        assertFalse(Strategy.SEQUENTIAL.needsAnalysis());
    }
}
