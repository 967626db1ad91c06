package dev.shallow.heal;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import dev.shallow.model.Model;
import dev.shallow.prune.Pruner;
import dev.shallow.prune.PruningRecord;
import dev.shallow.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Distillation runs on stories260K without layer 2, from its recorded source: interrupted and resumed exactly; the student
 * run on the teacher's weights only when the pruned checkpoint holds them byte for byte.
 */
class DistillationRunTest {
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
        Healer.Result all = HealerTest.assertResumesExactly(model, o, tmp);
        assertEquals(source.toAbsolutePath().normalize(), all.teacher());
        assertEquals("kd", new ObjectMapper().readTree(tmp.resolve("whole").resolve(Healer.SUMMARY).toFile()).path("method").asText());
    }

    /**
     * The pruned checkpoint is the source's kept layers byte for byte, so the student runs on the teacher's model (layers
     * 0, 1, 3, 4): the same loss and adapter gradients, bit for bit, as on the pruned checkpoint. One byte changed in a copy (of its
     * final norm) and the weights are no longer shared.
     */
    @Test
    void studentSharesTheTeachersWeightsOnlyWhenTheyAreTheSameBytes(@TempDir Path tmp) throws IOException {
        Path source = Shared.model("stories260K"), pruned = tmp.resolve("pruned"), edited = tmp.resolve("edited");
        Pruner.prune(source, new int[]{2}, PruningRecord.explicit(), pruned, false);
        Pruner.prune(source, new int[]{2}, PruningRecord.explicit(), edited, false);
        Path weights = edited.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length - 1] ^= 1; // the last byte of the last tensor stored, model.norm.weight
        Files.write(weights, bytes);
        Batch batch = Fixtures.stories(20, 12);
        LoraConfig lora = new LoraConfig(4, 8, 0.1, LoraConfig.ALL, 5);
        try (Model student = Model.load(pruned); Model other = Model.load(edited);
             Teacher teacher = Teacher.of(pruned, student.config(), Tokenizer.load(pruned), null)) {
            assertArrayEquals(new int[]{0, 1, 3, 4}, teacher.kept());
            assertTrue(teacher.holdsTheWeightsOf(student));
            assertFalse(teacher.holdsTheWeightsOf(other));
            TrainableModel own = new TrainableModel(Base.dense(student), new int[]{0, 1, 2, 3}, lora, Precision.FLOAT32, false);
            TrainableModel shared = new TrainableModel(Base.dense(teacher.model()), teacher.kept(), lora, Precision.FLOAT32, false);
            Fixtures.randomiseB(own, 2, 0.1);
            Fixtures.randomiseB(shared, 2, 0.1);
            assertEquals(own.lossAndGradients(batch, 3), shared.lossAndGradients(batch, 3), 0);
            for (int i = 0; i < own.parameters().size(); i++) {
                assertEquals(own.parameters().get(i).name(), shared.parameters().get(i).name());
                assertArrayEquals(own.parameters().get(i).grad(), shared.parameters().get(i).grad(), own.parameters().get(i).name());
            }
        }
    }
}
