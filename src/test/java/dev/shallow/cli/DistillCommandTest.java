package dev.shallow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.Shared;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.model.ModelConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.shallow.cli.CliTest.assertOneLineError;
import static dev.shallow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * shallow heal --teacher on stories260K without layer 2 (pruned here by the CLI): a distillation run end to end, and the
 * teacher that cannot be used (missing, another model than the recorded source, another family, hidden size or
 * vocabulary, none recorded) refused in one line with nothing written.
 */
class DistillCommandTest {
    static final Path SOURCE = Shared.model("stories260K");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    Path pruned;

    @BeforeEach
    void prune() {
        pruned = tmp.resolve("pruned");
        CliTest.Run r = run("prune", SOURCE.toString(), "--remove", "2", "--out", pruned.toString());
        assertEquals(0, r.code(), r.err());
    }

    /** 6 steps of 2 x 32 tokens at lr 3e-3, distilled from the recorded source, 4 held-out stories; {@code extra} appended. */
    static String[] heal(Path model, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("heal", model.toString(), "--data", HealCommandTest.TRAIN.toString(), "--tokens", "384",
                "--batch", "2", "--seq-len", "32", "--heldout-samples", "4", "--lr", "3e-3", "--out", out.toString()));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    @Test
    void distilsFromTheRecordedSourceAndMerges() throws IOException {
        JsonNode record = JSON.readTree(pruned.resolve("shallow_pruning.json").toFile());
        assertEquals(SOURCE.toAbsolutePath().normalize().toString(), record.path("source").path("path").asText(), "the pruner records an absolute path");
        Path out = tmp.resolve("healed");
        CliTest.Run r = run(heal(pruned, out, "--teacher", "--kd-top-k", "32", "--kd-temperature", "2", "--kd-alpha", "0.8", "--kd-hidden", "0.1", "--merge"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("step 6 / 6") && r.err().contains("KD loss"), r.err());
        assertTrue(r.out().contains("distilled from " + SOURCE.toAbsolutePath().normalize() + " (top-32, T 2.0, alpha 0.8, hidden 0.1)"), r.out());
        Matcher m = Pattern.compile("before (\\d\\.\\d{4}), after (\\d\\.\\d{4})").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(Double.parseDouble(m.group(2)) < Double.parseDouble(m.group(1)), "distillation lowers the held-out loss: " + r.out());
        JsonNode summary = JSON.readTree(out.resolve("heal.json").toFile());
        assertEquals("kd", summary.path("method").asText());
        assertEquals(ModelIdentity.fingerprint(SOURCE), summary.path("teacher").path("fingerprint").asText());
        assertEquals(32, summary.path("options").path("kd_top_k").asInt());
        assertEquals(0.1, summary.path("options").path("kd_hidden").asDouble());
        assertEquals(4, ModelConfig.load(out.resolve("merged")).numLayers(), "the merged model is the pruned one");
        assertTrue(Files.exists(out.resolve("adapter_model.safetensors")));
    }

    @Test
    void recordedSourceMissing() throws IOException {
        editRecord(tmp.resolve("nowhere"));
        assertRefused(heal(pruned, tmp.resolve("out"), "--teacher"), "shallow_pruning.json", "source.path", "not found");
    }

    @Test
    void recordedSourceIsAnotherModel() throws IOException {
        editRecord(Shared.model("stories-16L"));
        assertRefused(heal(pruned, tmp.resolve("out"), "--teacher"), "shallow_pruning.json", "source.fingerprint", "not the model this one was pruned from");
    }

    @Test
    void teacherOfAnotherFamilyOrHiddenSize() {
        assertRefused(heal(pruned, tmp.resolve("out"), "--teacher", Shared.model("tiny-qwen2-random").toString()), "tiny-qwen2-random", "qwen2");
        assertRefused(heal(pruned, tmp.resolve("out"), "--teacher", Shared.model("stories-16L").toString()), "stories-16L", "hidden size 128");
    }

    /** stories260K with two tokens' ids swapped in tokenizer.json: same shapes, another vocabulary. */
    @Test
    void teacherWithAnotherVocabulary() throws IOException {
        Path other = tmp.resolve("other-vocab");
        Files.createDirectories(other);
        for (String f : List.of("config.json", "model.safetensors", "tokenizer_config.json")) Files.copy(SOURCE.resolve(f), other.resolve(f));
        ObjectNode tok = (ObjectNode) JSON.readTree(SOURCE.resolve("tokenizer.json").toFile());
        ObjectNode vocab = (ObjectNode) tok.path("model").path("vocab");
        String a = null, b = null;
        for (var e : vocab.properties()) {
            if (e.getValue().asInt() == 300) a = e.getKey();
            if (e.getValue().asInt() == 301) b = e.getKey();
        }
        vocab.put(a, 301);
        vocab.put(b, 300);
        JSON.writeValue(other.resolve("tokenizer.json").toFile(), tok);
        assertRefused(heal(pruned, tmp.resolve("out"), "--teacher", other.toString()), "other-vocab", "token 300", "another vocabulary");
    }

    @Test
    void noRecordedSourceAndNoTeacher() {
        assertRefused(heal(SOURCE, tmp.resolve("out"), "--teacher"), "records no pruning", "--teacher MODEL");
        assertRefused(heal(pruned, tmp.resolve("out"), "--kd-alpha", "0.5"), "--kd-alpha", "need --teacher");
    }

    @Test
    void resumeWithOtherDistillationOptionsIsRefused() {
        Path out = tmp.resolve("out");
        assertEquals(0, run(heal(pruned, out, "--teacher", "--stop-after", "2", "--save-every", "1")).code());
        assertOneLineError(run(heal(pruned, out, "--teacher", "--kd-temperature", "2", "--resume")), "state.json", "--kd-temperature 1.0, not 2.0");
        assertOneLineError(run(heal(pruned, out, "--resume")), "state.json", "distillation (--teacher), not next-token LoRA");
    }

    private void editRecord(Path source) throws IOException {
        Path file = pruned.resolve("shallow_pruning.json");
        ObjectNode record = (ObjectNode) JSON.readTree(file.toFile());
        ((ObjectNode) record.path("source")).put("path", source.toString());
        JSON.writeValue(file.toFile(), record);
    }

    private void assertRefused(String[] args, String... what) {
        assertOneLineError(run(args), what);
        assertFalse(Files.exists(tmp.resolve("out")), "nothing written");
    }
}
