package dev.shallow.heal;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import dev.shallow.prune.Pruner;
import dev.shallow.prune.PruningRecord;
import dev.shallow.tensor.Parallel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Distillation runs on stories260K without layer 2, from its recorded source: interrupted and resumed exactly. */
class DistillationResumeTest {
    /**
     * A distillation run (top-32 at T 2 mixed with cross-entropy, the hidden-state term at the cut) interrupted after 7 of 10
     * steps (last checkpoint at step 6) and resumed on one thread gives the adapter, optimizer state and losses of the run
     * left alone, byte for byte: the teacher's targets are recomputed the same from the same sequences.
     */
    @Test
    void resumedRunIsBitIdentical(@TempDir Path tmp) throws IOException {
        Path source = Shared.model("stories260K"), model = tmp.resolve("pruned"), data = HealerTest.stories(tmp, 6);
        Pruner.prune(source, new int[]{2}, PruningRecord.explicit(), model, false);
        HealOptions o = HealerTest.options(data, 2, 48, 2, 10, false).withKd(new KdOptions(32, 2, 0.8, 0.1));
        Path whole = tmp.resolve("whole"), parts = tmp.resolve("parts"), shared = Shared.root().resolve("data");
        Healer.Result all = Healer.run(model, null, o, shared, whole, false, 3, 0, false, HealerTest.QUIET);
        Healer.Result first = Healer.run(model, null, o, shared, parts, false, 3, 7, false, HealerTest.QUIET);
        assertTrue(first.stopped());
        int threads = Parallel.threads();
        Healer.Result rest;
        try {
            Parallel.setThreads(1);
            rest = Healer.run(model, null, o, shared, parts, true, 3, 0, false, HealerTest.QUIET);
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
        assertEquals(source.toAbsolutePath().normalize(), all.teacher());
        assertEquals("kd", new ObjectMapper().readTree(whole.resolve(Healer.SUMMARY).toFile()).path("method").asText());
    }
}
