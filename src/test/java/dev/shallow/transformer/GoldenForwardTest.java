package dev.shallow.transformer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import dev.shallow.io.SafetensorsFile;
import dev.shallow.model.Model;
import dev.shallow.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Logits and the residual stream entering every layer, against the float64 PyTorch reference in
 * ../shared/golden. Tolerances (../shared/README.md): logits 1e-4 absolute, since a float32
 * implementation (refllama in float32) differs from float64 by <= 2e-5 at |logits| <= 23;
 * residuals 1e-4 x max(1, max |x| of the row), since float32 rounding grows with the stream's size.
 */
class GoldenForwardTest {
    static final double LOGIT_TOL = 1e-4, RESIDUAL_TOL = 1e-4;

    static JsonNode inputs(String model) throws IOException {
        return new ObjectMapper().readTree(Shared.golden(model).resolve("inputs.json").toFile());
    }

    static int[] ids(JsonNode seq) {
        int[] ids = new int[seq.path("ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = seq.path("ids").get(i).asInt();
        return ids;
    }

    @ParameterizedTest
    @MethodSource("dev.shallow.Shared#goldenModels")
    void logitsAndResidualsMatchReference(String name) throws IOException {
        matchesReference(name, Shared.model(name));
    }

    /** stories260K.gguf (llama.cpp's converter, interleaved q/k) computes the Hugging Face copy's golden. */
    @org.junit.jupiter.api.Test
    void ggufMatchesReference() throws IOException {
        matchesReference("stories260K", Shared.root().resolve("real/stories260K-gguf/stories260K.gguf"));
    }

    /** The model at {@code path} (a directory or a GGUF file) gives golden {@code name}'s logits and residuals. */
    static void matchesReference(String name, Path path) throws IOException {
        matchesReference(name, path, LOGIT_TOL, RESIDUAL_TOL);
    }

    /** The same within other tolerances (a lower precision's); returns the largest logit and relative residual errors. */
    static double[] matchesReference(String name, Path path, double logitTol, double residualTol) throws IOException {
        JsonNode seqs = inputs(name).path("sequences");
        try (Model model = Model.load(path);
             SafetensorsFile ref = SafetensorsFile.open(Shared.golden(name).resolve("reference.safetensors"))) {
            int hidden = model.config().hiddenSize(), vocab = model.config().vocabSize(), layers = model.config().numLayers();
            Transformer tf = new Transformer(model);
            double worstLogit = 0, worstResidual = 0;
            for (int s = 0; s < seqs.size(); s++) {
                int[] ids = ids(seqs.get(s));
                int T = ids.length;
                float[][] residuals = new float[layers + 1][];
                float[] logits = tf.forward(new int[][]{ids}, new KVCache[]{tf.newCache(T)}, true,
                        (l, x, n, h) -> residuals[l] = java.util.Arrays.copyOf(x, n * h));
                Tensor refLogits = ref.tensor("logits." + s), refRes = ref.tensor("residual." + s);
                double maxLogit = 0;
                for (int i = 0; i < T * vocab; i++) maxLogit = Math.max(maxLogit, Math.abs(logits[i] - refLogits.get(i)));
                assertTrue(maxLogit <= logitTol, name + " seq " + s + ": max |dlogit| " + maxLogit);
                worstLogit = Math.max(worstLogit, maxLogit);
                for (int l = 0; l <= layers; l++) {
                    for (int t = 0; t < T; t++) {
                        long base = ((long) l * T + t) * hidden;
                        double rowMax = 0, diff = 0;
                        for (int i = 0; i < hidden; i++) {
                            float r = refRes.get(base + i);
                            rowMax = Math.max(rowMax, Math.abs(r));
                            diff = Math.max(diff, Math.abs(residuals[l][t * hidden + i] - r));
                        }
                        worstResidual = Math.max(worstResidual, diff / Math.max(1, rowMax));
                        assertTrue(diff <= residualTol * Math.max(1, rowMax),
                                name + " seq " + s + " layer " + l + " token " + t + ": |dx| " + diff + " (row max " + rowMax + ")");
                    }
                }
            }
            System.out.printf("golden %s: max |dlogit| %.2e, max |dx| / max(1, max|x| of row) %.2e%n", name, worstLogit, worstResidual);
            return new double[] {worstLogit, worstResidual};
        }
    }

    /** All four sequences in one batched forward (different lengths, one KV cache each) give each sequence's reference logits. */
    @ParameterizedTest
    @MethodSource("dev.shallow.Shared#goldenModels")
    void batchedForwardMatchesReference(String name) throws IOException {
        JsonNode seqs = inputs(name).path("sequences");
        try (Model model = Model.load(Shared.model(name));
             SafetensorsFile ref = SafetensorsFile.open(Shared.golden(name).resolve("reference.safetensors"))) {
            Transformer tf = new Transformer(model);
            int vocab = model.config().vocabSize();
            int[][] batch = new int[seqs.size()][];
            KVCache[] caches = new KVCache[batch.length];
            for (int s = 0; s < batch.length; s++) {
                batch[s] = ids(seqs.get(s));
                caches[s] = tf.newCache(batch[s].length);
            }
            float[] logits = tf.forward(batch, caches, true, null);
            int row = 0;
            for (int s = 0; s < batch.length; s++) {
                Tensor want = ref.tensor("logits." + s);
                for (int i = 0; i < batch[s].length * vocab; i++) {
                    assertEquals(want.get(i), logits[row * vocab + i], LOGIT_TOL, name + " seq " + s);
                }
                row += batch[s].length;
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.shallow.Shared#goldenModels")
    void incrementalDecodeMatchesOneShotPrefill(String name) throws IOException {
        int[] ids = ids(inputs(name).path("sequences").get(2));
        try (Model model = Model.load(Shared.model(name));
             SafetensorsFile ref = SafetensorsFile.open(Shared.golden(name).resolve("reference.safetensors"))) {
            Transformer tf = new Transformer(model);
            KVCache cache = tf.newCache(ids.length);
            int vocab = model.config().vocabSize();
            Tensor refLogits = ref.tensor("logits.2");
            for (int t = 0; t < ids.length; t++) {
                float[] step = tf.forward(new int[]{ids[t]}, cache, false);
                for (int v = 0; v < vocab; v++) {
                    assertEquals(refLogits.get((long) t * vocab + v), step[v], LOGIT_TOL, name + " position " + t);
                }
            }
        }
    }
}
