package dev.shallow.analysis;

import dev.shallow.ShallowException;
import dev.shallow.model.Model;
import dev.shallow.transformer.SubBlocks;
import dev.shallow.transformer.Transformer;

import java.util.ArrayList;
import java.util.List;

/**
 * BlockPruner (Zhong et al. 2024): remove one sub-block (an attention or an MLP) at a time, each time the one whose
 * removal gives the lowest calibration loss on the model pruned so far, among those that still fit the parameter
 * budget; the candidates of a step share the prefix ({@link PrefixAblation}).
 */
public final class SubBlockGreedy {
    private SubBlockGreedy() {
    }

    /** One removal: the sub-block and the calibration loss after removing it. */
    public record Step(SubBlock block, double loss) {
    }

    /**
     * Greedy removals, in order, while a sub-block fits in {@code layers} layers' parameters (n x the mean layer's); ties go to
     * the shallowest layer, attention before MLP; each step's candidates measured by {@code runner}.
     */
    public static List<Step> run(CalibrationRunner runner, int layers, int batchSequences, Progress progress) {
        Model model = runner.model();
        int numLayers = model.config().numLayers();
        if (layers < 1 || layers >= numLayers) {
            throw new ShallowException("greedy sub-block removal of " + layers + " layers' parameters: must be 1.." + (numLayers - 1) + " (the model has " + numLayers + ")");
        }
        SubBlockSizes sizes = SubBlockSizes.of(model);
        long left = layers * sizes.layers() / numLayers;
        SubBlocks removed = SubBlocks.none(numLayers);
        List<Step> steps = new ArrayList<>();
        while (true) {
            SubBlocks current = removed;
            long budget = left;
            List<List<SubBlock>> candidates = new ArrayList<>();
            for (int l = 0; l < numLayers; l++) {
                List<SubBlock> fit = new ArrayList<>();
                for (SubBlock.Kind k : SubBlock.Kind.values()) {
                    SubBlock b = new SubBlock(k, l);
                    boolean present = k == SubBlock.Kind.ATTENTION ? current.runsAttention(l) : current.runsMlp(l);
                    if (present && sizes.of(b) <= budget) fit.add(b);
                }
                candidates.add(fit);
            }
            if (candidates.stream().allMatch(List::isEmpty)) return steps;
            int step = steps.size();
            double[][] losses = runner.run(PrefixAblation.of(Transformer.allLayers(numLayers), current,
                    l -> candidates.get(l).stream().map(b -> b.removedFrom(current)).toList(), batchSequences), "greedy-sub step " + (step + 1), progress).means();
            Step best = null;
            for (int l = 0; l < numLayers; l++) {
                for (int i = 0; i < losses[l].length; i++) if (best == null || losses[l][i] < best.loss()) best = new Step(candidates.get(l).get(i), losses[l][i]);
            }
            steps.add(best);
            removed = best.block().removedFrom(removed);
            left -= sizes.of(best.block());
        }
    }
}
