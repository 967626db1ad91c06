package dev.shallow.prune;

import dev.shallow.ShallowException;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.AnalysisOptions;
import dev.shallow.analysis.GreedyRemoval;
import dev.shallow.analysis.SubBlock;
import dev.shallow.analysis.SubBlockAnalysis;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The ways to choose which n of L layers (0-indexed) to remove. Each is a pure function of the
 * metrics, L, n and (for {@code random}) a seed; ties go to the lower layer index.
 * <p>
 * The sub-block strategies (attention, mlp, sub-bi, sub-ablation, greedy-sub) remove attention and MLP sub-blocks instead,
 * at most n layers' worth of parameters ({@link SubBlockSelection}); a layer both of whose sub-blocks they choose goes whole.
 * <p>
 * The greedy strategies take the first n layers of a greedy iterative removal order (re-measured on the
 * pruned model after each removal, {@link GreedyRemoval}) stored in the analysis by {@code shallow analyse --greedy}.
 */
public enum Strategy {
    /** Gromov et al.: the contiguous block l..l+n-1 with the smallest d(x_l, x_{l+n}). */
    ANGULAR("angular", true),
    /** ShortGPT: the n layers with the lowest Block Influence (not necessarily contiguous). */
    BI("bi", true),
    /** The n layers with the smallest relative magnitude ||f(x)|| / ||x + f(x)||. */
    MAGNITUDE("magnitude", true),
    /** The n layers with the lowest single-layer ablation loss (needs ablation losses in the analysis). */
    ABLATION("ablation", true),
    /** The first n layers of the analysis' greedy removal by Block Influence. */
    GREEDY_BI("greedy-bi", GreedyRemoval.Metric.BI),
    /** The first n layers of the analysis' greedy removal by d(x_l, x_{l+1}). */
    GREEDY_ANGULAR("greedy-angular", GreedyRemoval.Metric.ANGULAR),
    /** The first n layers of the analysis' greedy removal by calibration loss. */
    GREEDY_LOSS("greedy-loss", GreedyRemoval.Metric.LOSS),
    /** Layers 0..n-1. */
    SEQUENTIAL("sequential", false),
    /** Layers L-n..L-1. */
    REVERSE("reverse", false),
    /** Gromov's simple heuristic: the n deepest layers but the final one, L-1-n..L-2. */
    DEEPEST("deepest", false),
    /** n layers drawn uniformly without replacement by SplittableRandom(seed) (same seed, same set on any JVM). */
    RANDOM("random", false),
    /** LLM-Drop (He et al. 2024): attention sub-blocks only, lowest Block Influence across the attention first. */
    ATTENTION("attention", true, true),
    /** MLP sub-blocks only, lowest Block Influence across the MLP first. */
    MLP("mlp", true, true),
    /** Attention and MLP sub-blocks together, lowest Block Influence across the sub-block first (LLM-Drop's joint drop). */
    SUB_BI("sub-bi", true, true),
    /** Attention and MLP sub-blocks together, lowest single sub-block ablation loss first. */
    SUB_ABLATION("sub-ablation", true, true),
    /** BlockPruner (Zhong et al. 2024): the analysis' greedy removal of sub-blocks by calibration loss. */
    GREEDY_SUB("greedy-sub", true, true);

    private final String cliName;
    private final boolean needsAnalysis;
    private final GreedyRemoval.Metric greedyMetric;
    private final boolean subBlocks;

    Strategy(String cliName, boolean needsAnalysis) {
        this(cliName, needsAnalysis, false);
    }

    Strategy(String cliName, boolean needsAnalysis, boolean subBlocks) {
        this.cliName = cliName;
        this.needsAnalysis = needsAnalysis;
        this.greedyMetric = null;
        this.subBlocks = subBlocks;
    }

    Strategy(String cliName, GreedyRemoval.Metric greedyMetric) {
        this.cliName = cliName;
        this.needsAnalysis = true;
        this.greedyMetric = greedyMetric;
        this.subBlocks = false;
    }

    public String cliName() {
        return cliName;
    }

    public boolean needsAnalysis() {
        return needsAnalysis;
    }

    /** Whether this strategy removes attention and MLP sub-blocks (n is then a budget of n layers' parameters). */
    public boolean removesSubBlocks() {
        return subBlocks;
    }

    public static String names() {
        return Arrays.stream(values()).map(Strategy::cliName).collect(Collectors.joining(", "));
    }

    /**
     * {@code base} with what this strategy needs from an analysis to remove up to {@code maxN} layers: the
     * single-layer ablation, or a greedy removal of at least {@code maxN} steps.
     */
    public AnalysisOptions analysisOptions(AnalysisOptions base, int maxN) {
        if (this == ABLATION || this == SUB_ABLATION) return base.withAblation();
        if (this == GREEDY_SUB) return base.withSubBlockGreedy(maxN);
        return greedyMetric == null ? base : base.withGreedy(greedyMetric, maxN);
    }

    public static Strategy parse(String name) {
        for (Strategy s : values()) if (s.cliName.equals(name)) return s;
        throw new ShallowException("--strategy '" + name + "': unknown; choose one of: " + names());
    }

    /**
     * The {@code n} layers of {@code numLayers} to remove. {@code analysis} may be null for the
     * strategies that use no metric; {@code n} must already be checked by {@link LayerCount#of}.
     */
    public Selection select(Analysis analysis, int numLayers, int n, long seed) {
        LayerCount.of(n, numLayers);
        if (needsAnalysis) {
            if (analysis == null) throw new ShallowException("--strategy " + cliName + " needs --analysis (an analysis.json from 'shallow analyse')");
            if (analysis.numLayers() != numLayers) {
                throw new ShallowException("the analysis has " + analysis.numLayers() + " layers but the model has " + numLayers);
            }
        }
        return switch (this) {
            case ANGULAR -> angularBlock(analysis.angularDistance(), numLayers, n);
            case BI -> lowest("block_influence", analysis.blockInfluence(), n);
            case MAGNITUDE -> lowest("relative_magnitude", analysis.relativeMagnitude(), n);
            case ABLATION -> {
                if (analysis.ablationLoss() == null) {
                    throw new ShallowException("--strategy ablation: the analysis has no single-layer ablation losses (run analyse with ablation)");
                }
                yield lowest("ablation_loss", analysis.ablationLoss(), n);
            }
            case SEQUENTIAL -> range(0, n);
            case REVERSE -> range(numLayers - n, numLayers);
            case DEEPEST -> range(numLayers - 1 - n, numLayers - 1);
            case GREEDY_BI, GREEDY_ANGULAR, GREEDY_LOSS -> greedy(analysis, n);
            case RANDOM -> random(numLayers, n, seed);
            case ATTENTION -> lowestInfluence(analysis, List.of(SubBlock.Kind.ATTENTION), n);
            case MLP -> lowestInfluence(analysis, List.of(SubBlock.Kind.MLP), n);
            case SUB_BI -> lowestInfluence(analysis, List.of(SubBlock.Kind.values()), n);
            case SUB_ABLATION -> {
                SubBlockAnalysis s = analysis.requireSubBlocks("--strategy " + cliName);
                if (s.attentionAblation() == null) {
                    throw new ShallowException("--strategy sub-ablation: the analysis has no sub-block ablation losses (run analyse with --ablation)");
                }
                yield SubBlockSelection.lowest(s, List.of(SubBlock.Kind.values()), "sub_block_ablation_loss", b -> s.ablation(b.kind())[b.layer()], n);
            }
            case GREEDY_SUB -> SubBlockSelection.greedy(analysis.requireSubBlocks("--strategy " + cliName), n, cliName);
        };
    }

    /** Sub-blocks of {@code kinds}, lowest Block Influence across the sub-block (LLM-Drop's importance) first, n layers' parameters at most. */
    private Selection lowestInfluence(Analysis analysis, List<SubBlock.Kind> kinds, int n) {
        SubBlockAnalysis s = analysis.requireSubBlocks("--strategy " + cliName);
        return SubBlockSelection.lowest(s, kinds, "sub_block_influence", b -> s.metrics().influence(b.kind())[b.layer()], n);
    }

    /** l*(n) = argmin over l with l+n <= L of d[l][n-1] (first minimum wins); removes l*..l*+n-1. */
    static Selection angularBlock(double[][] d, int numLayers, int n) {
        int best = -1;
        for (int l = 0; l + n <= numLayers; l++) {
            double v = d[l][n - 1];
            if (Double.isNaN(v)) throw new ShallowException("angular distance d(x_" + l + ", x_" + (l + n) + ") is missing (NaN) in the analysis");
            if (best < 0 || v < d[best][n - 1]) best = l;
        }
        return new Selection(IntStream.range(best, best + n).toArray(), "angular_distance", new double[]{d[best][n - 1]});
    }

    /** The n layers with the smallest values, ties to the lower index; their values in layer order. */
    static Selection lowest(String metric, double[] values, int n) {
        for (int l = 0; l < values.length; l++) {
            if (Double.isNaN(values[l])) throw new ShallowException(metric + " of layer " + l + " is missing (NaN) in the analysis");
        }
        int[] removed = IntStream.range(0, values.length).boxed()
                .sorted(Comparator.comparingDouble((Integer l) -> values[l]).thenComparingInt(l -> l))
                .limit(n).mapToInt(Integer::intValue).sorted().toArray();
        return new Selection(removed, metric, Arrays.stream(removed).mapToDouble(l -> values[l]).toArray());
    }

    /** The first n layers of the greedy order, sorted, with the score of the step that removed each. */
    private Selection greedy(Analysis analysis, int n) {
        List<GreedyRemoval.Step> steps;
        try {
            steps = analysis.greedySteps(greedyMetric, n).stream().sorted(Comparator.comparingInt(GreedyRemoval.Step::removedLayer)).toList();
        } catch (ShallowException e) {
            throw new ShallowException("--strategy " + cliName + ": " + e.getMessage());
        }
        return new Selection(steps.stream().mapToInt(GreedyRemoval.Step::removedLayer).toArray(), "greedy_" + greedyMetric.label() + "_score",
                steps.stream().mapToDouble(GreedyRemoval.Step::score).toArray());
    }

    private static Selection range(int from, int to) {
        return new Selection(IntStream.range(from, to).toArray(), "none", new double[0]);
    }

    /** A partial Fisher-Yates shuffle of 0..L-1 driven by SplittableRandom(seed); the first n, sorted. */
    static Selection random(int numLayers, int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] order = IntStream.range(0, numLayers).toArray();
        for (int i = 0; i < n; i++) {
            int j = i + rng.nextInt(numLayers - i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] removed = Arrays.copyOf(order, n);
        Arrays.sort(removed);
        return new Selection(removed, "none", new double[0]);
    }
}
