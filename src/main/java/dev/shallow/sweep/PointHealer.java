package dev.shallow.sweep;

import dev.shallow.ShallowException;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.data.CalibrationSet;
import dev.shallow.heal.HealOptions;
import dev.shallow.heal.Healer;
import dev.shallow.heal.KdOptions;
import dev.shallow.io.GgufWeights;
import dev.shallow.model.AbsentSubBlocks;
import dev.shallow.model.Model;
import dev.shallow.prune.LinearReplacement;
import dev.shallow.prune.Pruner;
import dev.shallow.prune.PruningRecord;
import dev.shallow.prune.Removal;
import dev.shallow.transformer.Transformer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Heals a sweep point's pruned model in a scratch directory ({@code work}, inside the sweep's directory) by a {@link HealMethod}:
 * the pruned checkpoint into work/pruned (with ReplaceMe's maps folded in, estimated on the sweep's {@code calibration} text,
 * for the methods that replace), then for the methods that train LoRA healing (distilled from the unpruned model for those that
 * distil) with the merged model into work/heal. A healed point that was interrupted starts again from scratch (whatever an
 * earlier run left in {@code work} is removed first); everything is seeded, so the result is the same.
 *
 * @param batch sequences per forward pass of ReplaceMe's estimate
 */
record PointHealer(Model model, ModelIdentity source, HealOptions options, CalibrationSet calibration, int batch, Path sharedData, Path work) {

    /**
     * The model of {@code p} healed by {@code method}, loaded; closing it removes the scratch directory. A GGUF model is pruned,
     * healed and merged as GGUF files.
     */
    Healed heal(Point p, HealMethod method, SweepProgress progress) {
        long t0 = System.nanoTime();
        deleteTree(work);
        Path modelDir = model.dir();
        boolean gguf = GgufWeights.isGguf(modelDir);
        Path pruned = work.resolve(gguf ? "pruned.gguf" : "pruned"), out = work.resolve("heal");
        Removal removal = Removal.of(source.numLayers(), p.removedArray(), new int[0], new int[0], AbsentSubBlocks.of(modelDir));
        LinearReplacement replacement = null;
        if (method.replaces()) {
            progress.update("estimating ReplaceMe's maps", 0, 1);
            replacement = LinearReplacement.estimate(model, removal, calibration.sequences(), calibration.toJson(), 0, batch);
        }
        if (gguf) {
            createDirectories(work);
            Pruner.pruneGguf(modelDir, source, removal, PruningRecord.explicit(), null, replacement, pruned);
        } else {
            Pruner.prune(modelDir, removal, PruningRecord.explicit(), replacement, pruned, false);
        }
        // the plain pruned model's held-out loss, the same "before" for every method (a method that trains measures it itself)
        int[][] heldout = method.replaces() ? Healer.heldout(model, options, sharedData) : null;
        double before = method.replaces() ? Healer.heldoutLoss(model, removal.kept(), options, heldout) : Double.NaN;
        if (!method.trains()) {
            Model replaced = Model.load(pruned);
            try {
                double after = Healer.heldoutLoss(replaced, Transformer.allLayers(replaced.config().numLayers()), options, heldout);
                return new Healed(replaced, new HealSummary(0, 0, (System.nanoTime() - t0) / 1e9, heldout.length, before, after), work);
            } catch (RuntimeException e) {
                replaced.close();
                throw e;
            }
        }
        HealOptions o = method.distils() ? options.withKd(KdOptions.defaults()) : options;
        Healer.Result r = Healer.run(pruned, method.distils() ? modelDir : null, o, sharedData, out, false, 0, 0, true, new Healer.Listener() {
            @Override
            public void phase(String what) {
            }

            @Override
            public void step(int done, int steps, double loss, double lr) {
                progress.update("healing", done * o.tokensPerStep(), steps * o.tokensPerStep());
            }
        });
        Model merged = Model.load(out.resolve(gguf ? Healer.MERGED_GGUF : Healer.MERGED));
        HealSummary summary = HealSummary.of(r, (System.nanoTime() - t0) / 1e9);
        if (method.replaces()) summary = new HealSummary(summary.tokens(), summary.steps(), summary.seconds(), summary.heldoutDocs(), before, summary.lossAfter());
        return new Healed(merged, summary, work);
    }

    /** A healed model and how it was healed. */
    record Healed(Model model, HealSummary summary, Path work) implements AutoCloseable {
        @Override
        public void close() {
            model.close();
            deleteTree(work);
        }
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw ShallowException.at(dir, "cannot create the sweep's scratch directory: " + e.getMessage(), e);
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
        } catch (IOException e) {
            throw ShallowException.at(dir, "cannot remove the sweep's scratch directory: " + e.getMessage(), e);
        }
    }
}
