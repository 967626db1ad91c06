package dev.shallow.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.io.GgufFile;
import dev.shallow.io.GgufMetadata;
import dev.shallow.io.GgufWeights;
import dev.shallow.io.StrictJson;
import dev.shallow.prune.Pruner;

import java.nio.file.Files;
import dev.shallow.io.GgufWriter;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What a pruning removed, in a GGUF file's metadata (the GGUF counterpart of a pruned directory's shallow_pruning.json):
 * {@code shallow.pruning.layers_before} (u32), {@code shallow.pruning.removed} and {@code shallow.pruning.kept} (i32 arrays
 * of source layer indices, kept[new] = old), and {@code shallow.pruning.record}, the whole record as JSON text (source,
 * strategy, plan, Shallow's version, and the source's own record when it was pruned before).
 */
public final class PruningMetadata {
    public static final String PREFIX = "shallow.pruning.";
    public static final String RECORD = PREFIX + "record";

    private PruningMetadata() {
    }

    static void put(GgufWriter.Metadata m, ObjectNode record) {
        m.u32(PREFIX + "layers_before", record.path("num_layers_before").asInt())
                .i32Array(PREFIX + "removed", ints(record.path("removed")))
                .i32Array(PREFIX + "kept", ints(record.path("kept")))
                .string(RECORD, record.toString());
    }

    /** The record of a model pruned before (a GGUF's {@link #RECORD}, a directory's shallow_pruning.json), or null. */
    public static JsonNode previous(Path model) {
        if (!GgufWeights.isGguf(model)) {
            Path record = model.resolve(Pruner.RECORD);
            return Files.exists(record) ? StrictJson.readObject(record) : null;
        }
        try (GgufFile g = GgufFile.open(model)) {
            GgufMetadata m = g.metadata();
            if (!m.has(RECORD)) return null;
            JsonNode r = new ObjectMapper().readTree(m.string(RECORD));
            if (r == null || !r.isObject()) throw ShallowException.at(model, "metadata key '" + RECORD + "' is not a JSON object");
            return r;
        } catch (IOException e) {
            throw ShallowException.at(model, "metadata key '" + RECORD + "' is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }
}
