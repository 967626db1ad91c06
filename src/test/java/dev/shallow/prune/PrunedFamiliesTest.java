package dev.shallow.prune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pruned checkpoints of every family, loaded by the independent float64 reference from what Shallow wrote
 * (its config.json's per-layer arrays included), give the logits of the original run with those layers skipped:
 * reference on the pruned checkpoint = reference on the original skipping the layers (1e-9, one float64
 * implementation), and Shallow's skipping run and Shallow on the pruned checkpoint equal it (1e-4, float32).
 * Removed: the middle pair {L/2-1, L/2} and {0, 3, L-2}, which shift the sliding/full and RoPE/NoPE patterns.
 */
class PrunedFamiliesTest {
    private static final double TOL = 1e-4;

    @TempDir
    static Path tmp;

    record Case(String model, int[] removed, Path pruned, int[] kept) {
    }

    private static final List<Case> CASES = new ArrayList<>();
    private static RefScript reference;

    @BeforeAll
    static void pruneAndRunReference() throws Exception {
        reference = new RefScript("/prune/ref_pruned.py", tmp.resolve("ref.bin"));
        for (String model : Shared.familyModels()) {
            int layers = ModelConfig.load(Shared.model(model)).numLayers();
            for (int[] removed : List.of(new int[]{layers / 2 - 1, layers / 2}, new int[]{0, 3, layers - 2})) {
                Path out = tmp.resolve(model + "-" + Layers.format(removed));
                Pruner.prune(Shared.model(model), removed, PruningRecord.explicit(), out, false);
                int[] kept = Layers.kept(removed, layers);
                CASES.add(new Case(model, removed, out, kept));
                reference.args(Shared.model(model).toAbsolutePath().toString(), out.toString(),
                        String.join(",", Arrays.stream(kept).mapToObj(Integer::toString).toList()));
            }
        }
        reference.run();
    }

    @Test
    void referenceOnPrunedCheckpointEqualsOriginalWithLayersSkipped() throws IOException {
        ObjectMapper json = new ObjectMapper();
        for (Case c : CASES) {
            JsonNode seqs = json.readTree(Shared.golden(c.model).resolve("inputs.json").toFile()).path("sequences");
            try (Model original = Model.load(Shared.model(c.model)); Model pruned = Model.load(c.pruned)) {
                Transformer skipping = new Transformer(original, c.kept), loaded = new Transformer(pruned);
                int vocab = original.config().vocabSize();
                double worst = 0;
                for (JsonNode s : seqs) {
                    int[] ids = new int[s.path("ids").size()];
                    for (int i = 0; i < ids.length; i++) ids[i] = s.path("ids").get(i).asInt();
                    float[] a = skipping.forward(ids, skipping.newCache(ids.length), true);
                    float[] b = loaded.forward(ids, loaded.newCache(ids.length), true);
                    float[] refPruned = reference.next(ids.length * vocab), refSkipped = reference.next(ids.length * vocab);
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(refSkipped[i], refPruned[i], 1e-6, c.model + " without " + Layers.format(c.removed) + ": reference, pruned vs skipped");
                        worst = Math.max(worst, Math.max(Math.abs(a[i] - refPruned[i]), Math.abs(b[i] - refPruned[i])));
                    }
                }
                assertTrue(worst <= TOL, c.model + " without " + Layers.format(c.removed) + ": max |dlogit| " + worst);
                System.out.printf("pruned %s without %s: reference reloads it as the skipping run; Shallow within %.1e%n",
                        c.model, Layers.format(c.removed), worst);
            }
        }
    }

    /** Removing layers changes a pattern transformers would re-derive; the pruned config states every kept layer's type. */
    @Test
    void perLayerArraysAreWrittenExplicitly() throws IOException {
        ObjectMapper json = new ObjectMapper();
        for (Case c : CASES) {
            JsonNode cfg = json.readTree(c.pruned.resolve("config.json").toFile());
            ModelConfig original = ModelConfig.load(Shared.model(c.model)), pruned = ModelConfig.load(c.pruned);
            assertEquals(original.keep(c.kept).layerTypes(), pruned.layerTypes(), c.model);
            boolean perLayer = original.layerTypes().stream().map(t -> t.window()).distinct().count() > 1;
            boolean inSource = json.readTree(Shared.model(c.model).resolve("config.json").toFile()).has("layer_types");
            assertEquals(perLayer || inSource, cfg.has("layer_types"), c.model + ": layer_types written");
            assertEquals(original.family().equals("smollm3"), cfg.has("no_rope_layers"), c.model + ": no_rope_layers written");
            if (perLayer) assertEquals(c.kept.length, cfg.get("layer_types").size(), c.model);
        }
    }
}
