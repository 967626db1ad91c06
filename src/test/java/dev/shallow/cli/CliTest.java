package dev.shallow.cli;

import dev.shallow.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI in-process: exit codes, outputs, and one-line errors naming the file for bad input. */
class CliTest {
    record Run(int code, String out, String err) {
    }

    static synchronized Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** A failed run: non-zero exit, exactly one line on stderr, naming {@code what}. */
    static void assertOneLineError(Run r, String... what) {
        assertTrue(r.code() != 0, "exit code " + r.code());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, r.err());
        for (String w : what) assertTrue(lines[0].contains(w), "'" + lines[0] + "' should name " + w);
    }

    @Test
    void infoPrintsTheArchitecture() {
        Run r = run("info", Shared.model("tiny-qwen2-random").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Qwen2ForCausalLM"));
        assertTrue(r.out().matches("(?s).*layers\\s+12\\n.*"), r.out());
        assertTrue(r.out().contains("BF16"));
    }

    /** A single file beside an index loads the single file, as Hugging Face does, and info says so. */
    @Test
    void infoSaysWhichWeightsLoad(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws java.io.IOException {
        java.nio.file.Path dir = Shared.copyModel(Shared.model("stories260K"), tmp.resolve("m"));
        java.nio.file.Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\": {}}");
        Run r = run("info", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("weights       model.safetensors; the model.safetensors.index.json beside it is ignored"), r.out());
        assertTrue(!run("info", Shared.model("stories260K").toString()).out().contains("\nweights "), "no such line otherwise");
    }

    @Test
    void infoOnAGguf() {
        Run r = run("info", Shared.root().resolve("real/stories260K-gguf/stories260K.gguf").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("architecture  llama (model_type llama, family llama)"), r.out());
        assertTrue(r.out().matches("(?s).*layers\\s+5\\n.*"), r.out());
        assertTrue(r.out().contains("F32 (292,800 params)"), r.out());
        assertTrue(r.out().contains("on disk       1,185,376 bytes"), r.out());
    }

    @Test
    void pruneOfAGgufToADirectoryIsRefused(@TempDir Path tmp) {
        String gguf = Shared.root().resolve("real/stories260K-gguf/stories260K.gguf").toString();
        assertOneLineError(run("prune", gguf, "--remove", "2", "--out", tmp.resolve("out").toString()), "must be named *.gguf");
        assertOneLineError(run("prune", gguf, "--remove", "2", "--format", "hf", "--out", tmp.resolve("out").toString()),
                "pruned to a GGUF file only");
        assertTrue(Files.notExists(tmp.resolve("out")));
    }

    @Test
    void missingModelDirectory(@TempDir Path tmp) {
        assertOneLineError(run("info", tmp.resolve("nope").toString()), "nope", "not found");
    }

    @Test
    void unknownArchitecture(@TempDir Path tmp) throws IOException {
        Path dir = Shared.copyModel(Shared.model("stories260K"), tmp.resolve("m"));
        Path config = dir.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"llama\"", "\"gpt2\""));
        assertOneLineError(run("info", dir.toString()), "config.json", "gpt2");
    }

    @Test
    void truncatedSafetensors(@TempDir Path tmp) throws IOException {
        Path dir = Shared.copyModel(Shared.model("stories260K"), tmp.resolve("m"));
        try (FileChannel ch = FileChannel.open(dir.resolve("model.safetensors"), StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }
        assertOneLineError(run("info", dir.toString()), "model.safetensors");
    }

    @Test
    void missingTensorNamedInConfig(@TempDir Path tmp) throws IOException {
        Path dir = Shared.copyModel(Shared.model("stories260K"), tmp.resolve("m"));
        Path config = dir.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"num_hidden_layers\": 5", "\"num_hidden_layers\": 6"));
        assertOneLineError(run("info", dir.toString()), "model.layers.5", "missing");
    }

    @Test
    void promptLongerThanTheContext() {
        Run r = run("generate", Shared.model("stories260K").toString(), "--prompt", "Once upon a time. ".repeat(200), "--max-tokens", "4");
        assertOneLineError(r, "prompt of", "longer than the model's context of 512 tokens");
    }

    @Test
    void malformedTokenizerJson(@TempDir Path tmp) throws IOException {
        Path dir = Shared.copyModel(Shared.model("stories260K"), tmp.resolve("m"));
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": ");
        assertOneLineError(run("tokenize", dir.toString(), "--text", "hi"), "tokenizer.json", "JSON");
    }

    @Test
    void tokenizeAndDecodeRoundTrip() {
        Run enc = run("tokenize", "--text", "Once upon a time", "--special");
        assertEquals(0, enc.code(), enc.err());
        assertTrue(enc.out().strip().startsWith("[1, "), enc.out());
        Run dec = run("tokenize", "--decode", enc.out().strip());
        assertEquals("Once upon a time", dec.out().strip());
    }

    @Test
    void greedyGenerationStreamsTheContinuation() {
        Run r = run("generate", Shared.model("stories260K").toString(), "--prompt", "Once upon a time", "--max-tokens", "12");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Once upon a time, there was a little girl named Lily"), r.out());
    }

    /** The README's main job: analyse, prune by angular distance, and a pruned checkpoint that loads with one layer fewer. */
    @Test
    void demoAnalysesPrunesAndComparesLoss(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("pruned");
        Run r = run("demo", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*== prune: remove layers [0-4] \\(angular distance, n=1\\).*"), r.out());
        assertTrue(r.out().matches("(?s).*held-out loss .*: 5 layers \\d\\.\\d{3} nats/token, 4 layers \\d\\.\\d{3}.*"), r.out());
        assertTrue(Files.readString(out.resolve("config.json")).contains("\"num_hidden_layers\": 4"));
        Path sweep = tmp.resolve("sweep-stories260K");
        assertEquals(10, Files.readAllLines(sweep.resolve("results.jsonl")).size(), "2 strategies x 5 fractions");
        assertTrue(Files.size(sweep.resolve("report.html")) > 10_000);
        assertTrue(r.out().contains("report: " + sweep.resolve("report.html")), r.out());
    }

    @Test
    void unknownOptionIsAUsageError() {
        Run r = run("info", "--bogus");
        assertTrue(r.code() != 0);
    }
}
