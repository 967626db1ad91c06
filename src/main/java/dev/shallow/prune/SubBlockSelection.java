package dev.shallow.prune;

import dev.shallow.analysis.SubBlock;
import dev.shallow.analysis.SubBlockAnalysis;
import dev.shallow.analysis.SubBlockGreedy;
import dev.shallow.analysis.SubBlockSizes;
import dev.shallow.ShallowException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * Sub-block strategies remove at most as many parameters as {@code n} whole layers (n x the mean layer's parameters,
 * counted per sub-block, {@link SubBlockSizes}), so they compare with the layer strategies at equal removed parameters.
 * A layer whose attention and MLP are both chosen is removed whole.
 */
final class SubBlockSelection {
    private SubBlockSelection() {
    }

    /** n layers' worth of parameters: n x (parameters of all layers) / L, rounded down. */
    static long budget(SubBlockSizes sizes, int n) {
        return n * sizes.layers() / sizes.attention().length;
    }

    /**
     * The sub-blocks of {@code kinds} in ascending {@code score} (ties: lower layer, attention first), each taken when it still
     * fits the budget of n layers.
     */
    static Selection lowest(SubBlockAnalysis s, List<SubBlock.Kind> kinds, String metric, java.util.function.ToDoubleFunction<SubBlock> score, int n) {
        int layers = s.sizes().attention().length;
        List<SubBlock> candidates = new ArrayList<>();
        for (SubBlock.Kind k : kinds) for (int l = 0; l < layers; l++) candidates.add(new SubBlock(k, l));
        for (SubBlock b : candidates) if (Double.isNaN(score.applyAsDouble(b))) throw new ShallowException(metric + " of " + b + " is missing (NaN) in the analysis");
        candidates.sort(Comparator.comparingDouble(score).thenComparingInt(SubBlock::layer).thenComparing(SubBlock::kind));
        long left = budget(s.sizes(), n);
        List<SubBlock> chosen = new ArrayList<>();
        for (SubBlock b : candidates) {
            if (s.sizes().of(b) <= left) {
                chosen.add(b);
                left -= s.sizes().of(b);
            }
        }
        return of(chosen, metric, chosen.stream().mapToDouble(score).toArray(), layers);
    }

    /** The longest prefix of BlockPruner's greedy order that fits the budget of n layers. */
    static Selection greedy(SubBlockAnalysis s, int n, String strategy) {
        int layers = s.sizes().attention().length;
        if (s.greedy().isEmpty() || s.greedyLayers() < n) {
            throw new ShallowException("--strategy " + strategy + ": the analysis has no greedy sub-block removal of " + n
                    + " layers' parameters (run 'shallow analyse --greedy-sub-blocks " + n + "')");
        }
        long left = budget(s.sizes(), n);
        List<SubBlock> chosen = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        for (SubBlockGreedy.Step step : s.greedy()) {
            if (s.sizes().of(step.block()) > left) break;
            left -= s.sizes().of(step.block());
            chosen.add(step.block());
            losses.add(step.loss());
        }
        return of(chosen, "greedy_sub_block_loss", losses.stream().mapToDouble(Double::doubleValue).toArray(), layers);
    }

    /** The chosen sub-blocks as whole layers (both halves chosen), attention alone and MLP alone; at least one layer keeps something. */
    private static Selection of(List<SubBlock> chosen, String metric, double[] values, int layers) {
        TreeSet<Integer> attention = new TreeSet<>(), mlp = new TreeSet<>();
        for (SubBlock b : chosen) (b.kind() == SubBlock.Kind.ATTENTION ? attention : mlp).add(b.layer());
        int[] whole = attention.stream().filter(mlp::contains).mapToInt(Integer::intValue).toArray();
        if (whole.length == layers) throw new ShallowException("the sub-blocks chosen remove every layer; at least one layer must stay");
        for (int l : whole) {
            attention.remove(l);
            mlp.remove(l);
        }
        return new Selection(whole, ints(attention), ints(mlp), metric, values);
    }

    private static int[] ints(TreeSet<Integer> set) {
        return set.stream().mapToInt(Integer::intValue).toArray();
    }
}
