package dev.shallow.cli;

import dev.shallow.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.shallow.cli.CliTest.assertOneLineError;
import static dev.shallow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Command lines: usage errors in one line with exit 1, every numeric option range-checked, nothing clamped silently. */
class ArgumentsTest {
    @TempDir
    Path tmp;

    @Test
    void aUsageErrorIsOneLinePointingToHelpWithExitOne() {
        CliTest.Run r = run("info", "--bogus");
        assertEquals(1, r.code());
        assertOneLineError(r, "--bogus", "see 'shallow info --help'");
        r = run("prune", Shared.model("stories260K").toString(), "--remove", "1");
        assertEquals(1, r.code());
        assertOneLineError(r, "--out", "see 'shallow prune --help'");
        assertOneLineError(run("frobnicate"), "see 'shallow --help'");
        assertOneLineError(run("eval", "--tasks", "hellaswag", "--precision", "fp16"), "--precision", "'fp16' is not f32 or bf16");
        assertOneLineError(run("analyse", "--matmul", "gpu"), "--matmul", "'gpu' is not auto, vector or onednn");
    }

    @Test
    void numericOptionsOutOfRangeAreRefusedNamingTheOption() {
        String model = Shared.model("stories260K").toString();
        List<List<String>> cases = List.of(
                List.of("generate", model, "--max-tokens", "-5"),
                List.of("generate", model, "--temperature", "NaN"),
                List.of("generate", model, "--temperature", "-1"),
                List.of("generate", model, "--top-p", "NaN"),
                List.of("generate", model, "--top-p", "1.5"),
                List.of("generate", model, "--threads", "0"),
                List.of("generate", model, "--max-tokens", "99999999999"),
                List.of("analyse", model, "--samples", "0"),
                List.of("analyse", model, "--cka-tokens", "-3"),
                List.of("eval", model, "--tasks", "lambada_openai", "--batch-tokens", "0"),
                List.of("eval", model, "--tasks", "lambada_openai", "--shots", "-1"),
                List.of("eval", model, "--tasks", "lambada_openai", "--prefix-cache-mb", "-1"),
                List.of("heal", model, "--data", "stories", "--tokens", "100", "--out", "x", "--lr", "Infinity"),
                List.of("heal", model, "--data", "stories", "--tokens", "100", "--out", "x", "--lr", "NaN"),
                List.of("heal", model, "--data", "stories", "--tokens", "100", "--out", "x", "--alpha", "0"),
                List.of("heal", model, "--data", "stories", "--out", "x", "--tokens", "-100"),
                List.of("sweep", model, "--fractions", "0", "--loss-data", "x", "--out", "x", "--heal-lr", "NaN"));
        for (List<String> c : cases) {
            CliTest.Run r = run(c.toArray(String[]::new));
            assertEquals(1, r.code(), c + ": " + r.err());
            assertOneLineError(r, c.get(c.size() - 2).startsWith("--") ? c.get(c.size() - 2) : c.get(c.size() - 1), "see 'shallow " + c.getFirst() + " --help'");
        }
    }

    @Test
    void aSequenceLongerThanTheContextIsAnErrorNotCutSilently() {
        Path out = tmp.resolve("a.json");
        assertOneLineError(run("analyse", Shared.model("stories260K").toString(), "--seq-len", "600", "--samples", "2", "--out", out.toString()),
                "--seq-len 600", "context of 512");
        assertFalse(Files.exists(out));
    }

    @Test
    void aFractionSpecOfMillionsOfPointsIsRefusedUpFrontWithTheCount() {
        assertOneLineError(run("sweep", Shared.model("stories260K").toString(), "--fractions", "0:0.9:0.0000001", "--loss-data",
                "data/stories260K-heldout-16.jsonl", "--out", tmp.resolve("run").toString()), "9,000,001 fractions", "at most 1000");
        assertFalse(Files.exists(tmp.resolve("run")));
    }

    @Test
    @Timeout(60) // the defect was a hang: opening a FIFO for reading blocks until a writer comes
    void aFifoInPlaceOfTheWeightsIsRefusedInOneLine() throws Exception {
        Path m = Files.createDirectories(tmp.resolve("m"));
        Files.copy(Shared.model("stories260K").resolve("config.json"), m.resolve("config.json"));
        Files.copy(Shared.model("stories260K").resolve("tokenizer.json"), m.resolve("tokenizer.json"));
        assertEquals(0, new ProcessBuilder("mkfifo", m.resolve("model.safetensors").toString()).start().waitFor());
        assertOneLineError(run("info", m.toString()), "model.safetensors", "not a regular file");
        Path data = tmp.resolve("data.jsonl");
        assertEquals(0, new ProcessBuilder("mkfifo", data.toString()).start().waitFor());
        assertOneLineError(run("analyse", Shared.model("stories260K").toString(), "--data", data.toString(), "--out", tmp.resolve("a.json").toString()),
                "data.jsonl", "not a regular file");
    }
}
