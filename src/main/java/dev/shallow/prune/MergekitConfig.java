package dev.shallow.prune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.shallow.ShallowException;
import dev.shallow.Version;
import dev.shallow.io.AtomicFiles;
import dev.shallow.io.StrictJson;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.family.Families;
import dev.shallow.model.family.Family;
import dev.shallow.transformer.Transformer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The YAML of mergekit's passthrough merge that rebuilds a pruned model from its source ({@code mergekit-yaml FILE OUT}):
 * one slice per maximal run of kept layers, each {@code - sources: - model: PATH  layer_range: [start, end]} with the
 * range half-open and 0-indexed in the source's numbering (mergekit stacks the slices in order and renumbers from 0),
 * then {@code merge_method: passthrough} and {@code dtype:} the source's torch_dtype. A header comment says what the
 * file is, that the ranges are half-open, which layers were removed and by which strategy, and warns when mergekit's
 * output would be another model than {@link Pruner}'s: mergekit writes only num_hidden_layers into config.json.
 */
public final class MergekitConfig {
    private MergekitConfig() {
    }

    /** Writes {@code yaml} (from {@link #yaml}) to {@code file} atomically; an existing regular file is replaced, nothing else. */
    public static void write(Path file, String yaml) {
        AtomicFiles.write(file, tmp -> Files.writeString(tmp, yaml, StandardCharsets.UTF_8));
    }

    /** The passthrough YAML keeping layers {@code kept} (ascending source indices) of the model in {@code modelDir}, chosen by {@code strategy}. */
    public static String yaml(Path modelDir, int[] kept, String strategy) {
        ModelConfig config = ModelConfig.load(modelDir);
        int numLayers = config.numLayers();
        checkKept(kept, numLayers);
        int[] removed = Transformer.without(numLayers, kept); // the complement of the kept layers
        List<Layers.Run> runs = Layers.runs(kept);
        StringBuilder y = new StringBuilder();
        y.append("# mergekit passthrough merge written by shallow ").append(Version.VERSION).append(" (run: mergekit-yaml THIS_FILE OUT_DIR):\n");
        y.append("# rebuilds from the source the model 'shallow prune' writes when it removes the layers below.\n");
        y.append("# layer_range: [start, end] is half-open (layers start to end-1), 0-indexed in the source's numbering;\n");
        y.append("# mergekit stacks the slices in order and renumbers the layers from 0.\n");
        y.append("# removed ").append(removed.length).append(" of ").append(numLayers).append(" layers (0-indexed, inclusive ranges): ")
                .append(removed.length == 0 ? "none" : Layers.format(removed)).append("; strategy: ").append(quoted(strategy))
                .append("; kept ").append(kept.length).append(" layers in ").append(runs.size()).append(runs.size() == 1 ? " slice\n" : " slices\n");
        List<String> uncut = uncut(modelDir, config, kept);
        if (!uncut.isEmpty()) {
            y.append("# WARNING: mergekit's passthrough writes only num_hidden_layers into config.json; it leaves ").append(String.join(", ", uncut))
                    .append(" (per-layer settings of the ").append(config.family()).append(" family) as the source has them, so its output is a")
                    .append(" different model from shallow prune's, which writes them for the kept layers: use shallow prune's config.json.\n");
        }
        String model = quoted(modelDir.toAbsolutePath().normalize().toString());
        y.append("slices:\n");
        for (Layers.Run r : runs) {
            y.append("  - sources:\n");
            y.append("      - model: ").append(model).append('\n');
            y.append("        layer_range: [").append(r.first()).append(", ").append(r.last() + 1).append("]\n");
        }
        y.append("merge_method: passthrough\n");
        y.append("dtype: ").append(quoted(config.torchDtype())).append('\n');
        return y.toString();
    }

    /** Refuses {@code kept} unless it names at least one layer and only layers of 0..numLayers-1, ascending and distinct. */
    private static void checkKept(int[] kept, int numLayers) {
        if (kept.length == 0) {
            throw new ShallowException("no layer kept: removing all " + numLayers + " layers leaves no mergekit slice; at least one layer must stay");
        }
        for (int i = 0; i < kept.length; i++) {
            if (kept[i] < 0 || kept[i] >= numLayers || (i > 0 && kept[i] <= kept[i - 1])) {
                throw new ShallowException("kept layers " + Arrays.toString(kept) + " are not ascending distinct layers of 0-" + (numLayers - 1));
            }
        }
    }

    /**
     * The decoder settings that Shallow's pruned config.json changes besides num_hidden_layers (per-layer lists, derived
     * layer types, max_window_layers): mergekit leaves them as in the source.
     */
    static List<String> uncut(Path modelDir, ModelConfig config, int[] kept) {
        if (kept.length == config.numLayers()) return List.of(); // nothing removed: mergekit's output is the source itself
        Family family = Families.of(config);
        JsonNode source = StrictJson.readObject(modelDir.resolve("config.json"));
        JsonNode before = PrunedConfig.decoder(source, family), after = PrunedConfig.decoder(PrunedConfig.of(source, config, kept), family);
        List<String> keys = new ArrayList<>();
        after.properties().forEach(e -> {
            if (!e.getKey().equals("num_hidden_layers") && !e.getValue().equals(before.get(e.getKey()))) keys.add(e.getKey());
        });
        return keys;
    }

    /** {@code s} as a double-quoted scalar: JSON's escapes, which YAML reads the same, so no path or name can break the file. */
    private static String quoted(String s) {
        return JsonNodeFactory.instance.textNode(s).toString();
    }
}
