package dev.shallow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.shallow.cli.CliTest.assertOneLineError;
import static dev.shallow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** shallow heal on stories260K: the outputs, and one-line errors with nothing written for bad input. */
class HealCommandTest {
    static final Path MODEL = Shared.model("stories260K");
    static final Path TRAIN = Shared.root().resolve("data/stories260K-samples/train.jsonl");

    @TempDir
    Path tmp;

    /** A short run's arguments: 4 steps of 2 x 32 tokens, 4 held-out stories of the data; {@code extra} options added or replacing these. */
    static String[] heal(Path out, String... extra) {
        Map<String, String> options = new LinkedHashMap<>(Map.of("--data", TRAIN.toString(), "--tokens", "256", "--batch", "2",
                "--seq-len", "32", "--heldout-samples", "4", "--lr", "1e-2", "--out", out.toString()));
        List<String> flags = new ArrayList<>();
        for (int i = 0; i < extra.length; i++) {
            if (i + 1 < extra.length && !extra[i + 1].startsWith("--")) options.put(extra[i], extra[++i]);
            else flags.add(extra[i]);
        }
        List<String> args = new ArrayList<>(List.of("heal", MODEL.toString()));
        options.forEach((k, v) -> args.addAll(List.of(k, v)));
        args.addAll(flags);
        return args.toArray(String[]::new);
    }

    @Test
    void writesAPeftAdapterAndReportsTheHeldOutLoss() throws IOException {
        Path out = tmp.resolve("out");
        CliTest.Run r = run(heal(out, "--nf4", "--rank", "4", "--alpha", "8", "--targets", "q,v,down"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*held-out loss \\(4 documents, [\\d,]+ tokens\\): before \\d\\.\\d{4}, after \\d\\.\\d{4}.*"), r.out());
        assertTrue(r.out().contains("on the NF4 base"), r.out());
        assertTrue(r.err().contains("step 4 / 4") && r.err().contains("tok/s") && r.err().contains("ETA"), r.err());
        JsonNode config = new ObjectMapper().readTree(out.resolve("adapter_config.json").toFile());
        assertEquals("LORA", config.path("peft_type").asText());
        assertEquals("CAUSAL_LM", config.path("task_type").asText());
        assertEquals(4, config.path("r").asInt());
        assertEquals(8, config.path("lora_alpha").asInt());
        assertEquals("[\"q_proj\",\"v_proj\",\"down_proj\"]", config.path("target_modules").toString());
        assertEquals(MODEL.toAbsolutePath().normalize().toString(), config.path("base_model_name_or_path").asText());
        JsonNode summary = new ObjectMapper().readTree(out.resolve("heal.json").toFile());
        assertEquals(4, summary.path("train_losses").size());
        assertTrue(Files.exists(out.resolve("adapter_model.safetensors")));
        assertFalse(Files.exists(out.resolve("merged")));
    }

    @Test
    void rankZero() {
        assertRefused(heal(tmp.resolve("out"), "--rank", "0"), "--rank", "0 is less than 1");
    }

    /** stories260K's k_proj is 32 x 64 (4 kv heads of 8). */
    @Test
    void rankLargerThanATargetMatrix() {
        assertRefused(heal(tmp.resolve("out"), "--rank", "40", "--targets", "q,k"), "--rank 40", "k_proj (32 x 64)");
    }

    @Test
    void unknownTargetModule() {
        assertRefused(heal(tmp.resolve("out"), "--targets", "q,attn"), "--targets", "'attn'");
    }

    @Test
    void dataShorterThanOneStep() throws IOException {
        Path data = Files.writeString(tmp.resolve("short.jsonl"), "{\"text\": \"Once upon a time, there was a cat.\"}\n");
        assertRefused(heal(tmp.resolve("out"), "--data", data.toString(), "--heldout", TRAIN.toString()), "short.jsonl",
                "fewer than one step's --batch x --accumulate = 2");
    }

    @Test
    void budgetBelowOneStep() {
        assertRefused(heal(tmp.resolve("out"), "--tokens", "63"), "--tokens 63", "one step");
    }

    @Test
    void outExistsAndHoldsNoRun() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.writeString(out.resolve("notes.txt"), "mine");
        CliTest.Run r = run(heal(out));
        assertOneLineError(r, out.toString(), "not empty");
        assertEquals(List.of(out.resolve("notes.txt")), Files.list(out).toList());
        assertOneLineError(run(heal(out, "--resume")), "state.json", "no run to resume");
    }

    /** A run stopped after 2 steps refuses to resume with another rank, and its checkpoint is left as it was; with the same options it finishes. */
    @Test
    void resumeWithDifferentOptionsIsRefused() throws IOException {
        Path out = tmp.resolve("out");
        CliTest.Run first = run(heal(out, "--save-every", "1", "--stop-after", "2"));
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().contains("stopped after step 2"), first.out());
        assertOneLineError(run(heal(out)), out.toString(), "add --resume");
        Path state = out.resolve("checkpoint/state.json"), weights = out.resolve("checkpoint/adapter_model.safetensors");
        byte[] before = Files.readAllBytes(state), adapter = Files.readAllBytes(weights);
        assertOneLineError(run(heal(out, "--resume", "--rank", "4")), "state.json", "--rank 8, not 4");
        assertOneLineError(run(heal(out, "--resume", "--seed", "1")), "--seed 0, not 1");
        assertArrayEquals(before, Files.readAllBytes(state));
        assertArrayEquals(adapter, Files.readAllBytes(weights));
        assertFalse(Files.exists(out.resolve("adapter_config.json")));
        CliTest.Run rest = run(heal(out, "--resume", "--merge"));
        assertEquals(0, rest.code(), rest.err());
        assertTrue(rest.out().contains("trained 4 of 4 steps") && rest.out().contains("2 steps in"), rest.out());
        assertTrue(Files.exists(out.resolve("merged/model.safetensors")) && Files.exists(out.resolve("merged/tokenizer.json")));
    }

    private void assertRefused(String[] args, String... what) {
        assertOneLineError(run(args), what);
        assertFalse(Files.exists(tmp.resolve("out")), "nothing written");
    }
}
