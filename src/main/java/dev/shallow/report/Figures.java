package dev.shallow.report;

import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.HeadAblation;
import dev.shallow.analysis.SubBlockAnalysis;
import dev.shallow.analysis.SubBlockMetrics;
import dev.shallow.analysis.SubBlockSizes;
import dev.shallow.prune.Strategy;
import dev.shallow.eval.task.TaskRegistry;
import dev.shallow.sweep.HealMethod;
import dev.shallow.sweep.PointResult;
import dev.shallow.sweep.SweepRun;
import dev.shallow.sweep.TaskMetric;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The figures of a sweep report, as data: each task's metric and the held-out loss against the fraction of layers
 * removed (Gromov et al. Fig. 2-3, ShortGPT Fig. 5), the angular distance d(l, n) with the best block per n (Gromov
 * Fig. 4), Block Influence and relative magnitude per layer (ShortGPT Fig. 8), and single-layer ablation losses
 * (ShortGPT Fig. 3); below the layer, the head ablation heat map (ShortGPT Fig. 6) with the layer and sub-block ablation
 * losses beside it, Block Influence across each sub-block, and, when the sweep has sub-block strategies, every strategy's
 * curves against the fraction of the layers' parameters removed.
 */
public final class Figures {
    static final String X_TITLE = "fraction of layers removed (n / L)";
    static final String PARAMETERS_X_TITLE = "fraction of the layers' parameters removed";
    public static final String LOSS = "loss", HEAT_MAP = "angular-distance", BI = "block-influence", ABLATION = "ablation-loss", HEADS = "head-ablation",
            SUB_ABLATION = "sub-block-ablation", SUB_BI = "sub-block-influence", PARAMETERS = "-by-parameters";

    private Figures() {
    }

    public static List<Figure> of(SweepRun run) {
        List<Figure> out = new ArrayList<>();
        for (TaskMetric t : run.tasks()) {
            if (t.task().equals(TaskRegistry.LOSS)) continue;
            List<Series> guides = Double.isNaN(t.chance()) ? List.of()
                    : List.of(new Series(String.format(Locale.ROOT, "random guess (%.3f)", t.chance()), new double[]{0, maxX(run)}, new double[]{t.chance(), t.chance()}));
            out.add(new Figure.Lines("task-" + t.task(), t.task() + ": " + t.metric() + " vs layers removed (no healing)", X_TITLE, t.metric(),
                    curves(run, t.task(), t.metric(), null), guides));
        }
        List<Series> loss = new ArrayList<>(curves(run, TaskRegistry.LOSS, "loss", null));
        for (HealMethod m : run.healing()) {
            loss.addAll(curves(run, TaskRegistry.LOSS, "loss", m).stream().map(s -> new Series(s.name() + healedSuffix(m), s.x(), s.y())).toList());
        }
        out.add(new Figure.Lines(LOSS, "held-out loss vs layers removed" + (loss.stream().anyMatch(s -> healing(s.name()) != null) ? "" : " (no healing)"),
                X_TITLE, "loss (nats / token)", loss, List.of()));
        Analysis a = run.analysis();
        out.add(heatMap(a));
        List<String> layers = IntStream.range(0, a.numLayers()).mapToObj(String::valueOf).toList();
        double[] index = IntStream.range(0, a.numLayers()).asDoubleStream().toArray();
        out.add(new Figure.Bars(BI, "Block Influence and relative magnitude per layer", "layer", "",
                layers, List.of(new Series("Block Influence", index, a.blockInfluence()), new Series("relative magnitude", index, a.relativeMagnitude())),
                List.of()));
        if (a.ablationLoss() != null) {
            double[] base = new double[a.numLayers()];
            Arrays.fill(base, a.baselineLoss());
            out.add(new Figure.Bars(ABLATION, "calibration loss with one layer removed", "layer removed", "loss (nats / token)", layers,
                    List.of(new Series("without the layer", index, a.ablationLoss())),
                    List.of(new Series(String.format(Locale.ROOT, "all layers (%.3f)", a.baselineLoss()), index, base))));
        }
        SubBlockAnalysis s = a.subBlocks();
        if (s == null) return out;
        if (s.heads() != null) out.add(heads(a, s.heads()));
        if (s.attentionAblation() != null) out.add(subBlockAblation(a, s));
        out.add(subBlockInfluence(a, s.metrics()));
        if (run.strategies().stream().anyMatch(Figures::removesSubBlocks)) {
            for (TaskMetric t : run.tasks()) {
                out.add(new Figure.Lines((t.task().equals(TaskRegistry.LOSS) ? LOSS : "task-" + t.task()) + PARAMETERS,
                        (t.task().equals(TaskRegistry.LOSS) ? "held-out loss" : t.task() + ": " + t.metric()) + " vs parameters removed, layers and sub-blocks (no healing)",
                        PARAMETERS_X_TITLE,
                        t.task().equals(TaskRegistry.LOSS) ? "loss (nats / token)" : t.metric(), curvesByParameters(run, t.task(), t.metric(), s.sizes()), List.of()));
            }
        }
        return out;
    }

    /** A healed series' name after its strategy's: " (healed: lora)". */
    static String healedSuffix(HealMethod m) {
        return " (healed: " + m.cliName() + ")";
    }

    /** The method a series named by {@link #healedSuffix} shows healed, or null for an unhealed series. */
    static HealMethod healing(String series) {
        for (HealMethod m : HealMethod.values()) if (series.endsWith(healedSuffix(m))) return m;
        return null;
    }

    /**
     * Per strategy, {@code metric} of {@code task} at each distinct n of its points healed by {@code healing} (null: the
     * unhealed points), x = n / L. A healed curve starts at the unpruned model (n = 0, which is never healed) and is left out
     * when the strategy has no point healed that way.
     */
    static List<Series> curves(SweepRun run, String task, String metric, HealMethod healing) {
        boolean healed = healing != null;
        List<Series> out = new ArrayList<>();
        for (String strategy : run.strategies()) {
            if (removesSubBlocks(strategy)) continue; // their n is a parameter budget: plotted against parameters removed
            List<double[]> xy = new ArrayList<>();
            int lastN = -1;
            for (PointResult p : run.pointsOf(strategy)) {
                boolean start = healed && p.point().n() == 0;
                if ((p.healing() != healing && !start) || p.point().n() == lastN) continue;
                lastN = p.point().n();
                p.score(task, metric).ifPresent(s -> xy.add(new double[]{(double) p.point().n() / run.model().numLayers(), s.value()}));
            }
            boolean any = run.pointsOf(strategy).stream().anyMatch(p -> p.healing() == healing);
            if (!xy.isEmpty() && any) out.add(new Series(strategy, xy.stream().mapToDouble(v -> v[0]).toArray(), xy.stream().mapToDouble(v -> v[1]).toArray()));
        }
        return out;
    }

    private static boolean removesSubBlocks(String strategy) {
        return Strategy.parse(strategy).removesSubBlocks();
    }

    private static double maxX(SweepRun run) {
        return run.points().stream().mapToDouble(p -> (double) p.point().n() / run.model().numLayers()).max().orElse(0);
    }

    /** d(x_l, x_{l+n}) for block sizes n = 1..L-1 (columns) and first layers l (rows), the argmin l*(n) marked. */
    static Figure.HeatMap heatMap(Analysis a) {
        int layers = a.numLayers();
        double[][] values = new double[layers - 1][layers];
        List<int[]> marks = new ArrayList<>();
        for (int n = 1; n < layers; n++) {
            for (int l = 0; l < layers; l++) values[n - 1][l] = l + n <= layers ? a.angularDistance()[l][n - 1] : Double.NaN;
            marks.add(new int[]{n - 1, a.bestBlockStart(n)});
        }
        return new Figure.HeatMap(HEAT_MAP, "angular distance d(x_l, x_l+n), best block per n outlined", "block size n", "first layer l",
                IntStream.range(1, layers).mapToObj(String::valueOf).toList(), IntStream.range(0, layers).mapToObj(String::valueOf).toList(), values, marks,
                "0.00");
    }

    /**
     * ShortGPT Fig. 6: the calibration loss increase (nats) with one query head zeroed, per layer (rows) and head (columns), then
     * each key/value group's (columns g0..); the layer scores are the next figure.
     */
    static Figure.HeatMap heads(Analysis a, HeadAblation h) {
        int layers = a.numLayers(), heads = h.heads()[0].length, groups = h.groups() == null ? 0 : h.groups()[0].length;
        List<String> columns = new ArrayList<>();
        for (int q = 0; q < heads; q++) columns.add("h" + q);
        for (int g = 0; g < groups; g++) columns.add("g" + g);
        double[][] values = new double[heads + groups][layers];
        for (int l = 0; l < layers; l++) {
            for (int q = 0; q < heads; q++) values[q][l] = h.heads()[l][q] - a.baselineLoss();
            for (int g = 0; g < groups; g++) values[heads + g][l] = h.groups()[l][g] - a.baselineLoss();
        }
        return new Figure.HeatMap(HEADS, String.format(Locale.ROOT, "loss increase with one head (h) or key/value group (g) zeroed, all layers %.3f", a.baselineLoss()),
                "query head h, key/value group g", "layer", columns, IntStream.range(0, layers).mapToObj(String::valueOf).toList(), values, List.of(), "0.000");
    }

    /** Beside the head map: per layer the loss increase without the layer, its attention and its MLP. */
    static Figure.Bars subBlockAblation(Analysis a, SubBlockAnalysis s) {
        int layers = a.numLayers();
        double[] index = IntStream.range(0, layers).asDoubleStream().toArray();
        List<Series> bars = new ArrayList<>();
        if (a.ablationLoss() != null) bars.add(new Series("without the layer", index, increase(a.ablationLoss(), a.baselineLoss())));
        bars.add(new Series("without its attention", index, increase(s.attentionAblation(), a.baselineLoss())));
        bars.add(new Series("without its MLP", index, increase(s.mlpAblation(), a.baselineLoss())));
        return new Figure.Bars(SUB_ABLATION, "loss increase with one layer or sub-block removed", "layer", "loss increase (nats / token)",
                IntStream.range(0, layers).mapToObj(String::valueOf).toList(), bars, List.of());
    }

    private static double[] increase(double[] losses, double baseline) {
        return Arrays.stream(losses).map(v -> v - baseline).toArray();
    }

    /** Block Influence across each layer, its attention and its MLP (LLM-Drop's importance). */
    static Figure.Bars subBlockInfluence(Analysis a, SubBlockMetrics m) {
        double[] index = IntStream.range(0, a.numLayers()).asDoubleStream().toArray();
        return new Figure.Bars(SUB_BI, "Block Influence across the layer, its attention and its MLP", "layer", "",
                IntStream.range(0, a.numLayers()).mapToObj(String::valueOf).toList(), List.of(new Series("layer", index, a.blockInfluence()),
                new Series("attention", index, m.attentionInfluence()), new Series("MLP", index, m.mlpInfluence())), List.of());
    }

    /**
     * Per strategy (layer and sub-block strategies alike), {@code metric} of {@code task} of the unhealed points against the
     * fraction of the layers' parameters removed (whole layers and sub-blocks, {@link SubBlockSizes}).
     */
    static List<Series> curvesByParameters(SweepRun run, String task, String metric, SubBlockSizes sizes) {
        List<Series> out = new ArrayList<>();
        for (String strategy : run.strategies()) {
            List<double[]> xy = new ArrayList<>();
            for (PointResult p : run.pointsOf(strategy)) {
                if (p.healed()) continue;
                double x = (double) sizes.removed(p.point().removedArray(), p.point().attentionArray(), p.point().mlpArray()) / sizes.layers();
                if (!xy.isEmpty() && xy.getLast()[0] == x) continue;
                p.score(task, metric).ifPresent(s -> xy.add(new double[]{x, s.value()}));
            }
            if (!xy.isEmpty()) out.add(new Series(strategy, xy.stream().mapToDouble(v -> v[0]).toArray(), xy.stream().mapToDouble(v -> v[1]).toArray()));
        }
        return out;
    }
}
