package dev.shallow.heal;

import dev.shallow.Shared;
import dev.shallow.model.Model;
import dev.shallow.tensor.Parallel;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Healing runs on stories260K: exact resume, the data order, gradient accumulation. */
class HealerTest {
    static final Healer.Listener QUIET = new Healer.Listener() {
        @Override
        public void phase(String what) {
        }

        @Override
        public void step(int done, int steps, double loss, double lr) {
        }
    };

    /** The first {@code docs} stories of the shared training samples, as a JSONL file in {@code dir}. */
    static Path stories(Path dir, int docs) throws IOException {
        Path file = dir.resolve("train-" + docs + ".jsonl");
        List<String> lines = Files.readAllLines(Shared.root().resolve("data/stories260K-samples/train.jsonl"));
        Files.write(file, lines.subList(0, docs));
        return file;
    }

    /** r 4, dropout 0.1, all projections; B sequences of T tokens, K micro-batches, steps x B K T tokens; 2 held-out stories of the data. */
    static HealOptions options(Path data, int batch, int seqLen, int accumulate, int steps, boolean nf4) {
        return new HealOptions(data.toString(), "text", null, 2, 4, 8, 0.1, LoraConfig.ALL,
                (long) steps * batch * seqLen * accumulate, 1e-2, 2, batch, seqLen, accumulate, nf4, 7, 0.01, 1.0);
    }

    /**
     * A run interrupted after 7 of 10 steps (last checkpoint at step 6) and resumed, on one thread
     * instead of all, gives the same adapter, optimizer state and losses, byte for byte, as the run
     * left alone (NF4 base, dropout 0.1, 2 micro-batches a step); the 40 sequences
     * read wrap around the 21 of the text, so the second epoch's order is exercised too.
     */
    @Test
    void resumedRunIsBitIdentical(@TempDir Path tmp) throws IOException {
        Path model = Shared.model("stories260K"), data = stories(tmp, 6);
        Healer.Result all = assertResumesExactly(model, options(data, 2, 48, 2, 10, true), tmp);
        assertEquals(21, all.windows(), "6 stories minus 2 held out, in sequences of 48 tokens");
    }

    /**
     * Runs {@code o} (10 steps) on {@code model} (distilling from its recorded source when {@code o.kd()} is set) into
     * tmp/whole, and into tmp/parts stopped after step 7 (checkpoints every 3 steps) then resumed on one thread; asserts the
     * same adapter, optimizer state, losses and held-out loss, byte for byte. Returns the uninterrupted run.
     */
    static Healer.Result assertResumesExactly(Path model, HealOptions o, Path tmp) throws IOException {
        Path whole = tmp.resolve("whole"), parts = tmp.resolve("parts"), shared = Shared.root().resolve("data");
        Healer.Result all = Healer.run(model, null, o, shared, whole, false, 3, 0, false, QUIET);
        Healer.Result first = Healer.run(model, null, o, shared, parts, false, 3, 7, false, QUIET);
        assertTrue(first.stopped());
        assertFalse(Files.exists(parts.resolve(PeftAdapter.CONFIG)), "an interrupted run writes no adapter");
        assertEquals(6, TrainingCheckpoint.read(parts).steps());
        int threads = Parallel.threads();
        Healer.Result rest;
        try {
            Parallel.setThreads(1);
            rest = Healer.run(model, null, o, shared, parts, true, 3, 0, false, QUIET);
        } finally {
            Parallel.setThreads(threads);
        }
        assertEquals(4, rest.stepsThisRun());
        assertEquals(all.losses(), rest.losses());
        assertEquals(all.after(), rest.after(), 0);
        for (String f : List.of(PeftAdapter.WEIGHTS, "checkpoint/" + PeftAdapter.WEIGHTS, "checkpoint/" + TrainingCheckpoint.OPTIMIZER)) {
            assertArrayEquals(Files.readAllBytes(whole.resolve(f)), Files.readAllBytes(parts.resolve(f)), f);
        }
        assertNotEquals(all.before(), all.after(), "the adapter changed the model");
        return all;
    }

    /** Each epoch visits every window once, in an order fixed by (seed, epoch). */
    @Test
    void dataOrderIsASeededPermutationPerEpoch() {
        int[][] windows = new int[10][];
        for (int i = 0; i < windows.length; i++) windows[i] = new int[]{i};
        TrainingData a = new TrainingData(windows, 3), b = new TrainingData(windows, 3), c = new TrainingData(windows, 4);
        int[][] epochs = a.sequences(0, 30);
        Set<Integer> first = new HashSet<>();
        for (int i = 0; i < 10; i++) first.add(epochs[i][0]);
        assertEquals(10, first.size(), "a permutation");
        assertFalse(Arrays.equals(Arrays.copyOfRange(epochs, 0, 10), Arrays.copyOfRange(epochs, 10, 20)), "epochs differ");
        assertArrayEquals(Arrays.copyOfRange(epochs, 17, 23), b.sequences(17, 6), "any position from (seed, index) alone");
        assertFalse(Arrays.equals(Arrays.copyOfRange(epochs, 0, 10), c.sequences(0, 10)), "another seed, another order");
    }

    /**
     * Accumulation: one step of 2 micro-batches of 1 sequence has the gradient of one step of a
     * micro-batch of the same 2 sequences (the mean over the step's tokens), up to float32 rounding.
     */
    @Test
    void accumulatedGradientIsTheMeanOverTheStep(@TempDir Path tmp) throws IOException {
        try (Model model = Model.load(Shared.model("stories260K"))) {
            Tokenizer tok = Tokenizer.load(model.dir());
            int[][] windows = dev.shallow.data.CalibrationSet.packAll(List.of(Files.readString(stories(tmp, 3)).split("\n")), tok, 24);
            List<Param> split = firstStepGradients(model, windows, 1, 2), joint = firstStepGradients(model, windows, 2, 1);
            double worst = 0, scale = 0;
            for (int i = 0; i < split.size(); i++) {
                for (int j = 0; j < split.get(i).grad().length; j++) {
                    worst = Math.max(worst, Math.abs(split.get(i).grad()[j] - joint.get(i).grad()[j]));
                    scale = Math.max(scale, Math.abs(joint.get(i).grad()[j]));
                }
            }
            assertTrue(scale > 0 && worst < 1e-5 * scale, worst + " of " + scale);
        }
    }

    private static List<Param> firstStepGradients(Model model, int[][] windows, int batch, int accumulate) {
        HealOptions o = new HealOptions("x", "text", null, 1, 4, 8, 0, LoraConfig.ALL, 2L * 24, 1e-3, 0, batch, 24,
                accumulate, false, 1, 0, 1e9);
        TrainableModel m = new TrainableModel(Base.dense(model), Transformer.allLayers(5), o.lora(), Precision.FLOAT32, false);
        Fixtures.randomiseB(m, 5, 0.05);
        new Trainer(m, new TrainingData(windows, 1), o).step();
        return m.parameters();
    }
}
