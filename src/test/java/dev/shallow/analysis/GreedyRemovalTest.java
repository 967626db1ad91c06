package dev.shallow.analysis;

import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.data.CalibrationOptions;
import dev.shallow.data.CalibrationSet;
import dev.shallow.model.Model;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.MemoryBudget;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Greedy removal on stories260K (5 layers), checked against brute force over single layers, pairs and contiguous blocks. */
class GreedyRemovalTest {
    static Model model;
    static int[][] calibration;
    static int layers;

    @BeforeAll
    static void load() {
        model = Model.load(Shared.model("stories260K"));
        layers = model.config().numLayers();
        calibration = CalibrationSet.load(new CalibrationOptions("stories", "text", 8, 64, true, true, true, 0),
                Tokenizer.load(model.dir()), 512, Shared.root().resolve("data")).sequences();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static double lossWithout(int... removed) {
        return CalibrationLoss.of(new Transformer(model, Transformer.without(layers, removed)), calibration, 4, MemoryBudget.DEFAULT, Progress.NONE, "test");
    }

    @Test
    void firstLossStepIsTheBestSingleLayer() {
        double[] ablation = SingleLayerAblation.losses(model, calibration, 4, MemoryBudget.DEFAULT, Progress.NONE);
        int best = 0;
        for (int l = 1; l < layers; l++) if (ablation[l] < ablation[best]) best = l;
        GreedyRemoval.Step step = GreedyRemoval.run(model, calibration, GreedyRemoval.Metric.LOSS, 1).get(0);
        assertEquals(best, step.removedLayer());
        assertEquals(ablation[best], step.score(), 0.0);
    }

    /**
     * Two greedy steps by loss. Guaranteed: step 2 is the best pair containing step 1's layer, and its
     * score is that pair's loss. Not guaranteed (greedy is not exhaustive, and the pair need not be
     * contiguous): equality with the best contiguous block of 2; reported, not asserted.
     */
    @Test
    void twoLossStepsAgainstBruteForce() {
        List<GreedyRemoval.Step> steps = GreedyRemoval.run(model, calibration, GreedyRemoval.Metric.LOSS, 2);
        int first = steps.get(0).removedLayer(), second = steps.get(1).removedLayer();
        double bestWithFirst = Double.POSITIVE_INFINITY;
        for (int l = 0; l < layers; l++) if (l != first) bestWithFirst = Math.min(bestWithFirst, lossWithout(first, l));
        assertEquals(bestWithFirst, steps.get(1).score(), 0.0);
        assertEquals(lossWithout(first, second), steps.get(1).score(), 0.0);
        int bestBlock = 0;
        double bestBlockLoss = Double.POSITIVE_INFINITY;
        for (int l = 0; l + 1 < layers; l++) {
            double loss = lossWithout(l, l + 1);
            if (loss < bestBlockLoss) {
                bestBlockLoss = loss;
                bestBlock = l;
            }
        }
        boolean same = Math.min(first, second) == bestBlock && Math.abs(first - second) == 1;
        System.out.printf("greedy by loss, 2 steps: removes %d then %d (loss %.4f); best contiguous block of 2: %d-%d (loss %.4f); %s%n",
                first, second, steps.get(1).score(), bestBlock, bestBlock + 1, bestBlockLoss, same ? "same layers" : "different layers");
    }

    /** The first BI and angular steps are the argmins of the full model's BI and d(x_l, x_{l+1}). */
    @Test
    void firstBiAndAngularStepsAreTheArgmins() {
        Analysis a = Analyser.run(model, calibration, new AnalysisOptions(AngularTokens.LAST, false, 4, 0, 0, List.of(), 0), null, Progress.NONE);
        int bi = 0, ang = 0;
        for (int l = 1; l < layers; l++) {
            if (a.blockInfluence()[l] < a.blockInfluence()[bi]) bi = l;
            if (a.angularDistance()[l][0] < a.angularDistance()[ang][0]) ang = l;
        }
        assertEquals(bi, GreedyRemoval.run(model, calibration, GreedyRemoval.Metric.BI, 1).get(0).removedLayer());
        assertEquals(ang, GreedyRemoval.run(model, calibration, GreedyRemoval.Metric.ANGULAR, 1).get(0).removedLayer());
        List<GreedyRemoval.Step> four = GreedyRemoval.run(model, calibration, GreedyRemoval.Metric.BI, 4);
        assertEquals(4, four.stream().mapToInt(GreedyRemoval.Step::removedLayer).distinct().count(), "each layer removed once");
    }

    @Test
    void removingAllLayersIsRefused() {
        assertThrows(ShallowException.class, () -> GreedyRemoval.run(model, calibration, GreedyRemoval.Metric.BI, layers));
        assertThrows(ShallowException.class, () -> GreedyRemoval.run(model, calibration, GreedyRemoval.Metric.BI, 0));
    }
}
