package dev.shallow.prune;

import dev.shallow.ShallowException;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.io.Checkpoint;
import dev.shallow.model.ModelConfig;

import java.nio.file.Path;

/**
 * The identity of a model directory as plans and pruning records store it, and the one place where
 * an analysis or plan file is checked against the model it is applied to.
 */
public final class SourceModel {
    private SourceModel() {
    }

    /**
     * Architecture, layers, hidden size and parameter count (tied embeddings counted once) of the model in
     * {@code dir}. The fingerprint is left null: it is defined by the analysis side (sha256 over config.json
     * and the safetensors headers) and compared only when both sides carry one.
     */
    public static ModelIdentity identity(Path dir) {
        ModelConfig c = ModelConfig.load(dir);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            return new ModelIdentity(dir.toString(), c.architecture(), c.numLayers(), c.hiddenSize(), parameters(ck), null);
        }
    }

    static long parameters(Checkpoint ck) {
        long n = 0;
        for (String name : ck.names()) n += ck.info(name).elements();
        return n;
    }

    /** Refuses {@code file} (an analysis or plan recorded for {@code recorded}) when it was made for a different model than {@code model}. */
    public static void requireSame(Path file, ModelIdentity recorded, ModelIdentity model) {
        String diff = null;
        if (!recorded.architecture().equals(model.architecture())) diff = "architecture " + recorded.architecture() + " vs " + model.architecture();
        else if (recorded.numLayers() != model.numLayers()) diff = recorded.numLayers() + " layers vs " + model.numLayers();
        else if (recorded.hiddenSize() != model.hiddenSize()) diff = "hidden size " + recorded.hiddenSize() + " vs " + model.hiddenSize();
        else if (recorded.parameters() != model.parameters()) diff = recorded.parameters() + " parameters vs " + model.parameters();
        else if (recorded.fingerprint() != null && model.fingerprint() != null && !recorded.fingerprint().equals(model.fingerprint())) {
            diff = "fingerprint " + recorded.fingerprint() + " vs " + model.fingerprint();
        }
        if (diff != null) {
            throw ShallowException.at(file, "was made for a different model (" + recorded.path() + ": " + diff + " in " + model.path() + ")");
        }
    }
}
