package dev.shallow.prune;

import dev.shallow.ShallowException;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.io.GgufWeights;
import dev.shallow.model.GgufKeys;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;

import java.nio.file.Path;

/**
 * The identity of a model directory as plans and pruning records store it, and the one place where a plan
 * is checked against the model it is applied to (analyses: {@link dev.shallow.analysis.Analysis#readFor}).
 */
public final class SourceModel {
    private SourceModel() {
    }

    /** Architecture, layers, hidden size, parameter count and fingerprint (sha256 of config.json and the safetensors headers). */
    public static ModelIdentity identity(Path dir) {
        if (GgufWeights.isGguf(dir)) return ggufIdentity(dir);
        try (Model model = Model.load(dir)) {
            return ModelIdentity.of(model);
        }
    }

    /**
     * A GGUF file's identity from its header alone, as {@link ModelIdentity#of} gives it for the loaded model (architecture,
     * block_count, embedding_length, elements of every tensor), so a quantized GGUF, which is not computed yet, has one too.
     */
    private static ModelIdentity ggufIdentity(Path file) {
        try (GgufWeights w = GgufWeights.open(file)) {
            GgufKeys k = GgufKeys.of(w);
            long parameters = 0;
            for (String name : w.names()) parameters += w.stored(name).elements();
            return new ModelIdentity(file.toString(), k.architecture(), k.size("block_count", ModelConfig.MAX_LAYERS),
                    k.size("embedding_length", ModelConfig.MAX_DIM), parameters, ModelIdentity.fingerprint(file));
        }
    }

    /** Refuses {@code file} (recorded for model {@code recorded}) unless {@code model} is the same model (same fingerprint). */
    public static void requireSame(Path file, ModelIdentity recorded, ModelIdentity model) {
        try {
            recorded.checkSameModelAs(model);
        } catch (ShallowException e) {
            throw ShallowException.at(file, "plan " + e.getMessage());
        }
    }
}
