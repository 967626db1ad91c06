package dev.shallow.sweep;

import dev.shallow.analysis.ModelIdentity;
import dev.shallow.data.CalibrationSet;
import dev.shallow.eval.Evaluator;
import dev.shallow.eval.HarnessEncoding;
import dev.shallow.eval.PrefixSharing;
import dev.shallow.eval.TaskOptions;
import dev.shallow.eval.TransformerLM;
import dev.shallow.eval.task.TaskRegistry;
import dev.shallow.model.Model;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.SubBlocks;
import dev.shallow.transformer.Transformer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one line of a sweep: evaluates a point's pruned model by layer and sub-block skipping on the sweep's tasks, or
 * heals it by a method and evaluates the healed model. The local sweep and each task of a distributed one call {@link #run}.
 *
 * @param calibration the analysis' calibration text (ReplaceMe estimates its maps on it); null for a sweep without ReplaceMe
 */
record PointRunner(Model model, SweepOptions options, TaskRegistry.Selection tasks, HarnessEncoding encoding, ModelIdentity identity,
                   CalibrationSet calibration) {

    /** A runner for {@code model}, loading what {@code options} name (the tasks, and the calibration text when a method estimates ReplaceMe's maps). */
    static PointRunner of(Model model, SweepOptions options) {
        Tokenizer tok = Tokenizer.load(model.dir());
        CalibrationSet calibration = options.healing().stream().anyMatch(HealMethod::replaces) ? calibration(model, options, tok) : null;
        return new PointRunner(model, options, tasks(options), encoding(model, options, tok), ModelIdentity.of(model), calibration);
    }

    static TaskRegistry.Selection tasks(SweepOptions options) {
        return TaskRegistry.resolve(options.tasks(), new TaskOptions(options.dataDir(), options.shots(), options.fewshotSeed()), options.lossData(),
                options.lossField());
    }

    static HarnessEncoding encoding(Model model, SweepOptions options, Tokenizer tok) {
        return HarnessEncoding.of(tok, options.addBos(), model.config().maxPositionEmbeddings());
    }

    static CalibrationSet calibration(Model model, SweepOptions options, Tokenizer tok) {
        return CalibrationSet.load(options.calibration(), tok, model.config().maxPositionEmbeddings(), options.sharedData());
    }

    /** The line's result; a healed line prunes and heals in {@code work} (removed before and after). */
    PointResult run(Sweep.Line line, Path work, SweepProgress progress) {
        Point p = line.point();
        if (!line.healed()) {
            int layers = model.config().numLayers();
            return scored(p, new Transformer(model, Transformer.without(layers, p.removedArray()), SubBlocks.removing(layers, p.attentionArray(), p.mlpArray())),
                    null, null, progress);
        }
        PointHealer healer = new PointHealer(model, identity, options.heal(), calibration, options.analysis().batchSequences(), options.sharedData(), work);
        try (PointHealer.Healed h = healer.heal(p, line.healing(), progress)) {
            return scored(p, new Transformer(h.model()), line.healing(), h.summary(), progress);
        }
    }

    private PointResult scored(Point p, Transformer tf, HealMethod method, HealSummary heal, SweepProgress progress) {
        long t0 = System.nanoTime();
        Evaluator.Results results = Evaluator.evaluate(new TransformerLM(tf, encoding, Sweep.BATCH_TOKENS, PrefixSharing.heapShare(), options.analysis().memory()), tasks.tasks(),
                tasks.groups(), new Evaluator.Options(options.limit(), Sweep.BOOTSTRAP_ITERS), progress);
        List<TaskScore> scores = new ArrayList<>();
        for (Evaluator.TaskResult t : results.tasks()) {
            for (Evaluator.Score s : t.scores()) scores.add(new TaskScore(t.task().name(), s.metric().name(), s.value(), s.stderr()));
        }
        for (Evaluator.GroupResult g : results.groups()) {
            for (Evaluator.Score s : g.scores()) scores.add(new TaskScore(g.group().name(), s.metric().name(), s.value(), s.stderr()));
        }
        return new PointResult(p, null, method, scores, (System.nanoTime() - t0) / 1e9, heal);
    }
}
