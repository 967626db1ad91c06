package dev.shallow.sweep;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.Version;
import dev.shallow.analysis.Analyser;
import dev.shallow.analysis.CalibrationRunner;
import dev.shallow.analysis.ClusterCalibration;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.cluster.Cluster;
import dev.shallow.convert.GgufRewriter;
import dev.shallow.data.CalibrationSet;
import dev.shallow.eval.task.TaskRegistry;
import dev.shallow.io.OutputPolicy;
import dev.shallow.model.AbsentSubBlocks;
import dev.shallow.model.Model;
import dev.shallow.prune.Layers;
import dev.shallow.prune.LinearReplacement;
import dev.shallow.prune.Removal;
import dev.shallow.prune.Selection;
import dev.shallow.prune.Strategy;
import dev.shallow.tokenizer.Tokenizer;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A pruning sweep: the analysis once, then every strategy at every fraction of layers removed (fraction-major), each
 * pruned model evaluated by layer skipping and its result appended to {@code results.jsonl} as soon as it is known.
 * Points that remove the same layers share one evaluation (the later ones record {@code reused_from}). Run again on
 * the same directory with the same model and options, it resumes after the last finished point.
 */
public final class Sweep {
    static final int BATCH_TOKENS = 2048, BOOTSTRAP_ITERS = 100_000;

    private Sweep() {
    }

    /** The whole sweep, or what is left of it. */
    public static SweepRun run(Model model, SweepOptions options, Path dir, SweepProgress progress) {
        return run(model, options, dir, progress, Integer.MAX_VALUE);
    }

    /**
     * As {@link #run(Model, SweepOptions, Path, SweepProgress)}, but returns after {@code stopAfterPoints} more points
     * are finished (the way an interrupted sweep stops, for tests of resuming).
     */
    public static SweepRun run(Model model, SweepOptions options, Path dir, SweepProgress progress, int stopAfterPoints) {
        return run(model, options, dir, null, progress, stopAfterPoints);
    }

    /**
     * The sweep with its points run on {@code cluster}, one task per evaluation (the analysis runs here, once); the same
     * results.jsonl, in the same order, as a local run. {@code model} must be at a path every executor sees.
     */
    public static SweepRun run(Model model, SweepOptions options, Path dir, Cluster cluster, SweepProgress progress, int stopAfterPoints) {
        OutputPolicy.requireApart(dir, model.dir(), options.lossData(), OutputPolicy.existing(options.calibration().data()),
                options.heals() ? OutputPolicy.existing(options.heal().data()) : null);
        int layers = model.config().numLayers();
        int[] counts = options.fractions().stream().mapToInt(f -> Fractions.layers(f, layers)).toArray();
        int maxN = Arrays.stream(counts).max().orElseThrow();
        TaskRegistry.Selection tasks = PointRunner.tasks(options);
        Tokenizer tok = Tokenizer.load(model.dir());
        CalibrationSet calibration = PointRunner.calibration(model, options, tok);
        ModelIdentity identity = ModelIdentity.of(model);

        try (RunDirectory run = RunDirectory.open(dir, runJson(identity, options, maxN, TaskMetric.of(options.tasks(), tasks, options.limit())))) {
            CalibrationRunner analyser = cluster == null ? CalibrationRunner.local(model, calibration.sequences())
                    : ClusterCalibration.on(cluster, model, calibration.sequences(), 0);
            Analysis analysis = analysis(analyser, options, maxN, calibration, identity, run.file(RunDirectory.ANALYSIS), progress);
            Path generations = run.file(RunDirectory.GENERATIONS);
            if (!Files.exists(generations)) Generations.write(generations, Generations.of(model, tok, analysis));

            List<Line> plan = lines(plan(options, analysis, layers, counts), options.healing());
            if (options.heals() && model.isGguf()) { // a healed point of a GGUF model is pruned to a GGUF: each must be one llama.cpp's keys express
                for (Line l : plan) if (l.healed()) GgufRewriter.checkPrunable(model.dir(), Layers.kept(l.point().removedArray(), layers));
            }
            for (Line l : plan) { // ReplaceMe's refusals (Gemma's post-norm, a cut at layer 0, ...) before the first point, not in the middle
                if (l.healed() && l.healing().replaces()) {
                    LinearReplacement.check(model, Removal.of(layers, l.point().removedArray(), new int[0], new int[0], AbsentSubBlocks.of(model.dir())));
                }
            }
            Path results = run.file(RunDirectory.RESULTS);
            ResultsFile.dropPartialLine(results);
            List<PointResult> done = ResultsFile.read(results);
            OrderedResults out = new OrderedResults(results, plan, done.size(), evaluations(done, plan, results), stopAfterPoints, layers, options, progress);
            List<Integer> todo = out.toEvaluate();
            if (cluster == null) {
                PointRunner runner = new PointRunner(model, options, tasks, PointRunner.encoding(model, options, tok), identity, calibration);
                for (int i = 0; i < todo.size() && out.open(); i++) {
                    out.starting(todo.get(i));
                    out.finished(todo.get(i), runner.run(plan.get(todo.get(i)), run.file(RunDirectory.WORK), progress));
                }
            } else if (out.open()) {
                cluster.run(todo.stream().map(plan::get).toList(), SweepTask.of(model, options), (k, r) -> out.finished(todo.get(k), r));
            }
            return SweepRun.read(dir);
        }
    }

    /** run.json: what the sweep is of, and everything that decides its results. */
    private static ObjectNode runJson(ModelIdentity identity, SweepOptions options, int maxN, List<TaskMetric> metrics) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("format", RunDirectory.FORMAT);
        o.put("shallow_version", Version.VERSION);
        o.set("model", identity.toJson());
        o.set("options", options.toJson(maxN));
        ArrayNode tasks = o.putArray("tasks");
        metrics.forEach(m -> tasks.add(m.toJson()));
        o.put("healing", options.heals() ? "every pruned point is also healed (" + String.join(", ", options.healing().stream().map(HealMethod::cliName).toList())
                + "; options.heal) and evaluated again: its lines with \"healed\": true and the method in \"healing\" follow the unhealed one"
                : "none: every point is the pruned model without healing");
        return o;
    }

    /**
     * The finished points that were evaluated (not shared), by the layers they removed, after checking that each finished
     * point is the one the plan has at its line.
     */
    private static Map<Line.Key, PointResult> evaluations(List<PointResult> done, List<Line> plan, Path results) {
        Map<Line.Key, PointResult> evaluated = new HashMap<>();
        for (int i = 0; i < done.size(); i++) {
            PointResult r = done.get(i);
            Line found = new Line(r.point(), r.healing());
            if (i >= plan.size() || !found.equals(plan.get(i))) {
                throw ShallowException.at(results, "line " + (i + 1) + " is " + found.label() + " removing " + r.point().removedText()
                        + ", not the point these options plan there" + (i < plan.size() ? " (" + plan.get(i).label() + " removing " + plan.get(i).point().removedText() + ")" : ""));
            }
            if (r.reusedFrom() == null) evaluated.put(found.key(), r);
        }
        return evaluated;
    }

    /**
     * The sweep's analysis: read back from an earlier run of this sweep, else computed now by {@code runner} (with the
     * single-layer ablation) and stored.
     */
    private static Analysis analysis(CalibrationRunner runner, SweepOptions options, int maxN, CalibrationSet calibration, ModelIdentity identity, Path file,
                                     SweepProgress progress) {
        if (Files.exists(file)) return Analysis.readFor(file, identity);
        Analysis a = Analyser.run(runner, calibration, options.analysisOptions(maxN), progress);
        a.write(file);
        return a;
    }

    /** The plan's lines: each point, and each pruned point healed by each method right after it. */
    static List<Line> lines(List<Point> plan, List<HealMethod> healing) {
        List<Line> lines = new ArrayList<>();
        for (Point p : plan) {
            lines.add(new Line(p, null));
            if (p.n() > 0) for (HealMethod m : healing) lines.add(new Line(p, m));
        }
        return lines;
    }

    /** One planned line of results.jsonl: a point, unhealed (healing null) or healed by a method. */
    record Line(Point point, HealMethod healing) implements Serializable {
        /** What decides a line's evaluation: lines with the same key share one. */
        record Key(List<Integer> removed, List<Integer> attention, List<Integer> mlp, HealMethod healing) {
        }

        Key key() {
            return new Key(point.removed(), point.attention(), point.mlp(), healing);
        }

        boolean healed() {
            return healing != null;
        }

        String label() {
            return point.label() + HealMethod.suffix(healing);
        }
    }

    /** Fraction-major: for each fraction, each strategy's layers (none at n = 0). */
    static List<Point> plan(SweepOptions options, Analysis analysis, int layers, int[] counts) {
        List<Point> plan = new ArrayList<>();
        for (int f = 0; f < counts.length; f++) {
            for (Strategy s : options.strategies()) {
                Selection chosen = counts[f] == 0 ? new Selection(new int[0], "none", new double[0]) : s.select(analysis, layers, counts[f], options.seed());
                plan.add(new Point(s.cliName(), options.fractions().get(f), counts[f], list(chosen.removed()), list(chosen.removedAttention()),
                        list(chosen.removedMlp())));
            }
        }
        return plan;
    }

    private static List<Integer> list(int[] layers) {
        return Arrays.stream(layers).boxed().toList();
    }
}
