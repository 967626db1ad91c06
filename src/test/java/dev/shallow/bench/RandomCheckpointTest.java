package dev.shallow.bench;

import dev.shallow.io.Checkpoint;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.tensor.Tensor;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RandomCheckpointTest {
    static final ModelShape SMALL = new ModelShape("small", 2, 64, 160, 4, 2, 300, 128, 10000.0, 1e-5);
    static final Path TOKENIZER = Path.of("models/stories260K/tokenizer.json");

    @TempDir
    Path tmp;

    @Test
    void writesAHuggingFaceLlamaDirectoryThatModelLoadReads() {
        Path dir = RandomCheckpoint.ensure(SMALL, 7, tmp.resolve("m"), TOKENIZER);
        assertTrue(Files.isRegularFile(dir.resolve("tokenizer.json")));
        try (Model model = Model.load(dir)) {
            ModelConfig c = model.config();
            assertEquals(2, c.numLayers());
            assertEquals(64, c.hiddenSize());
            assertEquals(160, c.intermediateSize());
            assertEquals(4, c.numHeads());
            assertEquals(2, c.numKvHeads());
            assertEquals(300, c.vocabSize());
            assertFalse(c.tieWordEmbeddings());
            assertArrayEquals(new long[]{32, 64}, model.layer(1).wk().shape());
            assertArrayEquals(new long[]{64, 160}, model.layer(0).wDown().shape());
            assertArrayEquals(new long[]{300, 64}, model.lmHead().shape());
            assertEquals(2 * 300 * 64 + 2 * (2 * 64 * 64 + 2 * 32 * 64 + 3 * 160 * 64) + 5 * 64, model.parameterCount());
            Transformer t = new Transformer(model);
            float[] logits = t.forward(new int[]{1, 5, 299}, t.newCache(8), false);
            assertEquals(300, logits.length);
            for (float v : logits) assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void weightsHaveTheStatedDistribution() {
        Path dir = RandomCheckpoint.ensure(SMALL, 7, tmp.resolve("m"), null);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            float[] up = ck.tensor("model.layers.0.mlp.up_proj.weight").toFloatArray();
            assertEquals(0.0, mean(up), 0.001);
            assertEquals(0.02, Math.sqrt(variance(up)), 0.001);
            float[] norm = ck.tensor("model.norm.weight").toFloatArray();
            assertEquals(1.0, mean(norm), 0.01);
            assertTrue(variance(norm) > 0, "norm weights carry noise, so a loader dropping them is caught");
        }
    }

    @Test
    void contentIsAFunctionOfTheSeed() throws IOException {
        Path a = RandomCheckpoint.ensure(SMALL, 7, tmp.resolve("a"), null);
        Path b = RandomCheckpoint.ensure(SMALL, 7, tmp.resolve("b"), null);
        Path c = RandomCheckpoint.ensure(SMALL, 8, tmp.resolve("c"), null);
        byte[] bytesA = Files.readAllBytes(a.resolve(Checkpoint.SINGLE));
        assertArrayEquals(bytesA, Files.readAllBytes(b.resolve(Checkpoint.SINGLE)));
        assertFalse(java.util.Arrays.equals(bytesA, Files.readAllBytes(c.resolve(Checkpoint.SINGLE))));
        try (Checkpoint ck = Checkpoint.open(a)) {
            Tensor q0 = ck.tensor("model.layers.0.self_attn.q_proj.weight"), q1 = ck.tensor("model.layers.1.self_attn.q_proj.weight");
            assertFalse(java.util.Arrays.equals(q0.toFloatArray(), q1.toFloatArray()), "each tensor has its own stream");
        }
    }

    @Test
    void reusesAMatchingDirectoryAndRewritesOnAnotherSeed() throws IOException {
        Path dir = tmp.resolve("m");
        RandomCheckpoint.ensure(SMALL, 7, dir, null);
        Path weights = dir.resolve(Checkpoint.SINGLE);
        FileTime old = FileTime.fromMillis(0);
        Files.setLastModifiedTime(weights, old);
        RandomCheckpoint.ensure(SMALL, 7, dir, null);
        assertEquals(old, Files.getLastModifiedTime(weights), "same shape and seed: reused");
        assertTrue(RandomCheckpoint.matches(dir, SMALL, SMALL.configJson(), 7));
        assertFalse(RandomCheckpoint.matches(dir, SMALL, SMALL.configJson(), 8));
        RandomCheckpoint.ensure(SMALL, 8, dir, null);
        assertTrue(RandomCheckpoint.matches(dir, SMALL, SMALL.configJson(), 8));
        assertFalse(old.equals(Files.getLastModifiedTime(dir.resolve(Checkpoint.SINGLE))), "another seed: rewritten");
    }

    @Test
    void knownShapesHaveTheirPublishedParameterCounts() {
        assertEquals(1_100_048_384L, parameters(ModelShape.TINYLLAMA_1_1B));
        assertEquals(6_738_415_616L, parameters(ModelShape.LLAMA2_7B));
    }

    private static long parameters(ModelShape shape) {
        return shape.tensors().stream().mapToLong(e -> e.byteSize() / 2).sum();
    }

    private static double mean(float[] x) {
        double s = 0;
        for (float v : x) s += v;
        return s / x.length;
    }

    private static double variance(float[] x) {
        double m = mean(x), s = 0;
        for (float v : x) s += (v - m) * (v - m);
        return s / x.length;
    }
}
