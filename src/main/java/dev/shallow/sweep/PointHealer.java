package dev.shallow.sweep;

import dev.shallow.ShallowException;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.heal.HealOptions;
import dev.shallow.heal.Healer;
import dev.shallow.io.GgufWeights;
import dev.shallow.model.AbsentSubBlocks;
import dev.shallow.model.Model;
import dev.shallow.prune.Pruner;
import dev.shallow.prune.PruningRecord;
import dev.shallow.prune.Removal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Heals a sweep point's pruned model in a scratch directory ({@code work}, inside the sweep's directory): the pruned
 * checkpoint into work/pruned, LoRA healing with the merged model into work/heal. A healed point that was interrupted
 * starts again from scratch (whatever an earlier run left in {@code work} is removed first); healing is seeded, so the
 * result is the same.
 */
record PointHealer(Path modelDir, ModelIdentity source, HealOptions options, Path sharedData, Path work) {

    /**
     * The model of {@code p} healed by {@code method}, loaded; closing it removes the scratch directory. A GGUF model is pruned,
     * healed and merged as GGUF files.
     */
    Healed heal(Point p, HealMethod method, SweepProgress progress) {
        long t0 = System.nanoTime();
        deleteTree(work);
        boolean gguf = GgufWeights.isGguf(modelDir);
        Path pruned = work.resolve(gguf ? "pruned.gguf" : "pruned"), out = work.resolve("heal");
        if (gguf) {
            createDirectories(work);
            Removal removal = Removal.of(source.numLayers(), p.removedArray(), new int[0], new int[0], AbsentSubBlocks.of(modelDir));
            Pruner.pruneGguf(modelDir, source, removal, PruningRecord.explicit(), null, pruned);
        } else {
            Pruner.prune(modelDir, p.removedArray(), PruningRecord.explicit(), pruned, false);
        }
        Healer.Result r = Healer.run(pruned, options, sharedData, out, false, 0, 0, true, new Healer.Listener() {
            @Override
            public void phase(String what) {
            }

            @Override
            public void step(int done, int steps, double loss, double lr) {
                progress.update("healing", done * options.tokensPerStep(), steps * options.tokensPerStep());
            }
        });
        Model merged = Model.load(out.resolve(gguf ? Healer.MERGED_GGUF : Healer.MERGED));
        return new Healed(merged, HealSummary.of(r, (System.nanoTime() - t0) / 1e9), work);
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
