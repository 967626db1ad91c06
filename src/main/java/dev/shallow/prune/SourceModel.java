package dev.shallow.prune;

import dev.shallow.ShallowException;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.model.Model;

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
        try (Model model = Model.load(dir)) {
            return ModelIdentity.of(model);
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
