package dev.shallow.prune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.io.AtomicFiles;
import dev.shallow.io.StrictJson;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Which layers (and which layers' attention or MLP sub-blocks) to remove from which model, and why. Layers are 0-indexed;
 * {@link #kept()}[newIndex] = oldIndex; a layer whose attention or MLP alone is removed is kept.
 *
 * @param n        layer strategies: the layers removed; sub-block strategies: the budget, n layers' worth of parameters
 * @param fraction the {@code --fraction} as given when n came from it (n = round(F x L), half up), else null
 * @param seed     the seed of the {@code random} strategy, else null
 * @param analysis the analysis the metrics came from (its file null when it was computed in-process), else null
 */
public record Plan(ModelIdentity model, int numLayers, String strategy, int n, String fraction, Long seed,
                   AnalysisSource analysis, Selection selection) {
    public static final String FORMAT = "shallow-plan";
    static final String CONVENTIONS = "layers are 0-indexed; removed and kept list old indices; kept[new_index] = old_index; removed_attention"
            + " and removed_mlp list the kept layers (old indices) whose attention or MLP sub-block alone is removed";

    public Plan {
        if (!selection.removesSubBlocks() && selection.removed().length != n) {
            throw new IllegalArgumentException("plan for n = " + n + " removes " + selection.removed().length + " layers");
        }
    }

    /**
     * The plan of {@code strategy} for removing {@code n} layers of {@code model}; {@code analysis} (read from
     * {@code analysisFile}) is needed by the metric strategies and recorded when used.
     */
    public static Plan of(ModelIdentity model, Strategy strategy, int n, String fraction, long seed, Analysis analysis, Path analysisFile) {
        Selection selection = strategy.select(analysis, model.numLayers(), n, seed);
        AnalysisSource source = strategy.needsAnalysis() ? new AnalysisSource(analysisFile, analysis.options()) : null;
        return new Plan(model, model.numLayers(), strategy.cliName(), n, fraction, strategy == Strategy.RANDOM ? seed : null, source, selection);
    }

    public int[] removed() {
        return selection.removed();
    }

    /** Layers (old indices, sorted) whose attention sub-block alone is removed; empty for layer plans. */
    public int[] removedAttention() {
        return selection.removedAttention();
    }

    /** Layers (old indices, sorted) whose MLP sub-block alone is removed; empty for layer plans. */
    public int[] removedMlp() {
        return selection.removedMlp();
    }

    public int[] kept() {
        return Layers.kept(selection.removed(), numLayers);
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("format", FORMAT);
        o.put("conventions", CONVENTIONS);
        o.set("model", model.toJson());
        o.put("num_layers", numLayers);
        o.put("strategy", strategy);
        o.put("n", n);
        if (fraction != null) {
            o.put("fraction", fraction);
            o.put("rounding", "n = round(fraction x num_layers), half up");
        }
        if (seed != null) o.put("seed", seed);
        if (analysis != null) {
            ObjectNode a = o.putObject("analysis");
            if (analysis.file() != null) a.put("file", analysis.file().toString());
            else a.put("in_process", true);
            a.set("options", analysis.options());
        }
        o.set("removed", ints(removed()));
        o.set("kept", ints(kept()));
        o.set("removed_attention", ints(removedAttention()));
        o.set("removed_mlp", ints(removedMlp()));
        ObjectNode m = o.putObject("metric");
        m.put("name", selection.metric());
        ArrayNode values = m.putArray("values");
        for (double v : selection.values()) values.add(v);
        return o;
    }

    public void write(Path file) {
        AtomicFiles.writeJson(file, toJson());
    }

    /** Reads a plan written by {@link #write}, checking that its lists are consistent. */
    public static Plan read(Path file) {
        JsonNode o = StrictJson.readObject(file);
        if (!FORMAT.equals(o.path("format").asText())) throw ShallowException.at(file, "is not a Shallow plan (no \"format\": \"" + FORMAT + "\")");
        int numLayers = integer(file, o, "num_layers");
        int[] removed = ints(file, o, "removed");
        int[] attention = o.has("removed_attention") ? ints(file, o, "removed_attention") : new int[0];
        int[] mlp = o.has("removed_mlp") ? ints(file, o, "removed_mlp") : new int[0];
        boolean subBlocks = attention.length + mlp.length > 0;
        if (!subBlocks || removed.length > 0) {
            int[] sorted;
            try {
                sorted = Layers.checkRemovable(removed, numLayers);
            } catch (ShallowException e) {
                throw ShallowException.at(file, e.getMessage());
            }
            if (!Arrays.equals(sorted, removed)) throw ShallowException.at(file, "\"removed\" is not sorted");
        }
        if (!Arrays.equals(ints(file, o, "kept"), Layers.kept(removed, numLayers))) {
            throw ShallowException.at(file, "\"kept\" is not the complement of \"removed\" in 0-" + (numLayers - 1));
        }
        checkSubBlocks(file, "removed_attention", attention, removed, numLayers);
        checkSubBlocks(file, "removed_mlp", mlp, removed, numLayers);
        for (int l : attention) {
            if (Arrays.binarySearch(mlp, l) >= 0) throw ShallowException.at(file, "layer " + l + " is in removed_attention and removed_mlp: list it in \"removed\"");
        }
        int n = integer(file, o, "n");
        if (!subBlocks && n != removed.length) throw ShallowException.at(file, "\"n\" is not the number of removed layers");
        JsonNode m = o.path("model"), a = o.path("analysis"), values = o.path("metric").path("values");
        ModelIdentity model = new ModelIdentity(m.path("path").asText(), m.path("architecture").asText(), integer(file, m, "num_layers"),
                integer(file, m, "hidden_size"), m.path("parameters").asLong(), m.hasNonNull("fingerprint") ? m.get("fingerprint").asText() : null);
        AnalysisSource analysis = a.isObject() ? new AnalysisSource(a.hasNonNull("file") ? Path.of(a.get("file").asText()) : null, a.get("options")) : null;
        double[] metricValues = new double[values.size()];
        for (int i = 0; i < metricValues.length; i++) metricValues[i] = values.get(i).asDouble();
        return new Plan(model, numLayers, o.path("strategy").asText(), n, o.hasNonNull("fraction") ? o.get("fraction").asText() : null,
                o.hasNonNull("seed") ? o.get("seed").asLong() : null, analysis,
                new Selection(removed, attention, mlp, o.path("metric").path("name").asText("none"), metricValues));
    }

    /** A sub-block list: sorted distinct layers of the model that are not removed whole. */
    private static void checkSubBlocks(Path file, String key, int[] layers, int[] removed, int numLayers) {
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] < 0 || layers[i] >= numLayers) throw ShallowException.at(file, "\"" + key + "\": layer " + layers[i] + " does not exist (0-" + (numLayers - 1) + ")");
            if (i > 0 && layers[i] <= layers[i - 1]) throw ShallowException.at(file, "\"" + key + "\" is not sorted and distinct");
            if (Arrays.binarySearch(removed, layers[i]) >= 0) throw ShallowException.at(file, "\"" + key + "\": layer " + layers[i] + " is removed whole");
        }
    }

    static ArrayNode ints(int[] values) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        for (int v : values) a.add(v);
        return a;
    }

    private static int integer(Path file, JsonNode o, String key) {
        JsonNode v = o.get(key);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber()) throw ShallowException.at(file, "\"" + key + "\" must be an integer");
        return v.intValue();
    }

    private static int[] ints(Path file, JsonNode o, String key) {
        JsonNode a = o.get(key);
        if (a == null || !a.isArray()) throw ShallowException.at(file, "\"" + key + "\" must be a list of layer indices");
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            if (!a.get(i).isIntegralNumber() || !a.get(i).canConvertToInt()) throw ShallowException.at(file, "\"" + key + "\" must be a list of layer indices");
            v[i] = a.get(i).intValue();
        }
        return v;
    }
}
