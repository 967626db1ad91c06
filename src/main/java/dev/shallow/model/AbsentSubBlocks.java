package dev.shallow.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shallow.ShallowException;
import dev.shallow.io.GgufWeights;
import dev.shallow.io.StrictJson;
import dev.shallow.model.family.Families;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The sub-blocks a stored model computes nothing with, per layer of the model as stored: its attention (the layer adds no
 * attention output to the residual stream) or its MLP. A Hugging Face checkpoint pruned by {@code shallow prune
 * --remove-attention/--remove-mlp} holds them as zeroed output projections and lists them in its {@code shallow_pruning.json}
 * ({@link #ATTENTION_KEY}, {@link #MLP_KEY}: source layer indices, mapped to the stored layers through its {@code kept});
 * a llama.cpp {@code deci} GGUF leaves them out (per-layer head count / feed-forward length 0, or a zero stand-in MLP).
 * The loader gives such a layer null {@code wo} / {@code wDown}, so the forward pass skips the sub-block.
 *
 * @param attention per stored layer: its attention is absent
 * @param mlp       per stored layer: its MLP is absent
 */
public record AbsentSubBlocks(boolean[] attention, boolean[] mlp) {
    /** shallow_pruning.json: source layers (of that pruning) whose attention is absent from the output. */
    public static final String ATTENTION_KEY = "attention_removed";
    /** shallow_pruning.json: source layers whose MLP is absent from the output. */
    public static final String MLP_KEY = "mlp_removed";
    /** The record a pruned Hugging Face checkpoint carries (written by {@code prune.Pruner}). */
    public static final String RECORD_FILE = "shallow_pruning.json";

    public static AbsentSubBlocks none(int layers) {
        return new AbsentSubBlocks(new boolean[layers], new boolean[layers]);
    }

    /**
     * The absent sub-blocks of a model directory ({@link #ofRecord}) or GGUF file (its family's {@code ggufAbsentSubBlocks}; none
     * for an architecture Shallow does not map, whose file is only copied).
     */
    public static AbsentSubBlocks of(Path model) {
        if (!GgufWeights.isGguf(model)) return ofRecord(model, ModelConfig.load(model).numLayers());
        try (GgufWeights w = GgufWeights.open(model)) {
            GgufKeys k = GgufKeys.of(w);
            int layers = k.size("block_count", ModelConfig.MAX_LAYERS);
            return Families.ALL.stream().filter(f -> k.architecture().equals(f.ggufArchitecture())).findFirst()
                    .map(f -> f.ggufAbsentSubBlocks(k, layers)).orElse(none(layers));
        }
    }

    /** These entries of layers {@code layers}, in that order. */
    public AbsentSubBlocks keep(int[] layers) {
        AbsentSubBlocks out = none(layers.length);
        for (int i = 0; i < layers.length; i++) {
            out.attention[i] = attention[layers[i]];
            out.mlp[i] = mlp[layers[i]];
        }
        return out;
    }

    /** True when some layer lacks a sub-block. */
    public boolean any() {
        for (int l = 0; l < attention.length; l++) if (attention[l] || mlp[l]) return true;
        return false;
    }

    /**
     * The absent sub-blocks of the Hugging Face checkpoint {@code dir} of {@code layers} layers, from its shallow_pruning.json
     * (none when it has no record, or a record without sub-blocks); a record that does not fit the checkpoint is an error naming it.
     */
    public static AbsentSubBlocks ofRecord(Path dir, int layers) {
        Path file = dir.resolve(RECORD_FILE);
        AbsentSubBlocks out = none(layers);
        if (!Files.isRegularFile(file)) return out;
        JsonNode r = StrictJson.readObject(file);
        if (!r.has(ATTENTION_KEY) && !r.has(MLP_KEY)) return out;
        JsonNode kept = r.path("kept");
        if (!kept.isArray() || kept.size() != layers) throw ShallowException.at(file, "'kept' does not list the checkpoint's " + layers + " layers");
        int[] storedOf = new int[kept.size() == 0 ? 0 : maxIndex(file, kept) + 1];
        java.util.Arrays.fill(storedOf, -1);
        for (int i = 0; i < layers; i++) storedOf[kept.get(i).asInt()] = i;
        mark(file, r.path(ATTENTION_KEY), storedOf, out.attention);
        mark(file, r.path(MLP_KEY), storedOf, out.mlp);
        return out;
    }

    private static int maxIndex(Path file, JsonNode layers) {
        int max = -1;
        for (JsonNode l : layers) {
            if (!l.canConvertToInt() || l.asInt() < 0) throw ShallowException.at(file, "layer index " + l + " is not a non-negative integer");
            max = Math.max(max, l.asInt());
        }
        return max;
    }

    /** Marks the stored layer of every source layer listed in {@code list}, which must be a kept one. */
    private static void mark(Path file, JsonNode list, int[] storedOf, boolean[] out) {
        if (list.isMissingNode()) return;
        if (!list.isArray()) throw ShallowException.at(file, "'" + list + "' is not a list of layers");
        for (JsonNode l : list) {
            int source = l.canConvertToInt() ? l.asInt() : -1;
            if (source < 0 || source >= storedOf.length || storedOf[source] < 0) {
                throw ShallowException.at(file, "sub-block of layer " + l + " is listed as removed but that layer is not a kept one");
            }
            out[storedOf[source]] = true;
        }
    }
}
