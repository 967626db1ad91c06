package dev.shallow.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import dev.shallow.generate.Generator;
import dev.shallow.generate.Sampler;
import dev.shallow.io.SafetensorsFile;
import dev.shallow.io.TensorInfo;
import dev.shallow.model.Model;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import static dev.shallow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** No wrong number quietly: NaN weights, a diverging heal and text that byte tokens revise. */
class NumbersTest {
    @TempDir
    Path tmp;

    /** The last line of stderr (progress lines come before it). */
    private static String lastLine(CliTest.Run r) {
        return r.err().strip().lines().reduce((a, b) -> b).orElse("");
    }

    /** stories260K with one weight of layer 2 set to NaN. */
    private Path nanModel() throws IOException {
        Path m = Shared.copyModel(Shared.model("stories260K"), tmp.resolve("nan"));
        Path file = m.resolve("model.safetensors");
        long at;
        try (SafetensorsFile f = SafetensorsFile.open(file); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            TensorInfo t = f.tensors().get("model.layers.2.mlp.up_proj.weight");
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            at = 8 + len.getLong(0) + t.begin() + 4 * 7;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, Float.NaN), at);
        }
        return m;
    }

    @Test
    void nanWeightsNeverBecomeNullMetrics() throws IOException {
        Path m = nanModel(), analysis = tmp.resolve("analysis.json"), results = tmp.resolve("results.json");
        CliTest.Run a = run("analyse", m.toString(), "--samples", "4", "--seq-len", "32", "--out", analysis.toString());
        assertEquals(1, a.code(), a.err());
        assertTrue(lastLine(a).contains("NaN"), a.err());
        assertFalse(Files.exists(analysis));
        CliTest.Run e = run("eval", m.toString(), "--tasks", "lambada_openai", "--limit", "2", "--out", results.toString());
        assertEquals(1, e.code(), e.err());
        assertTrue(lastLine(e).contains("NaN"), e.err());
        assertFalse(Files.exists(results));
        CliTest.Run p = run("plan", m.toString(), "--strategy", "angular", "--n", "1", "--data", "data/stories260K-train-64.jsonl", "--samples", "4",
                "--seq-len", "32");
        assertEquals(1, p.code(), "no best block chosen among NaNs: " + p.out());
    }

    @Test
    void aDivergingHealStopsNamingTheStepAndWritesNoAdapter() throws IOException {
        Path out = tmp.resolve("heal");
        CliTest.Run r = run("heal", Shared.model("stories260K").toString(), "--data", "data/stories260K-train-64.jsonl", "--heldout-samples", "4",
                "--tokens", "2048", "--batch", "4", "--seq-len", "128", "--lr", "1e6", "--save-every", "1", "--out", out.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(lastLine(r).matches(".*healing diverged at step [2-4] of 4 .*keeps step [1-3], the last good checkpoint.*"), r.err());
        assertFalse(Files.exists(out.resolve("adapter_config.json")));
        assertFalse(Files.exists(out.resolve("heal.json")));
        var state = new ObjectMapper().readTree(out.resolve("checkpoint/state.json").toFile());
        for (var loss : state.path("losses")) assertTrue(Double.isFinite(loss.asDouble()) && loss.isNumber(), state.toString());
    }

    @Test
    void generatePrintsTheWholeContinuationWhenByteTokensAreNotValidUtf8() {
        Path dir = Shared.model("tiny-qwen2-random");
        Tokenizer tok = Tokenizer.load(dir);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Generator.Result r;
        try (Model model = Model.load(dir)) {
            r = GenerateCommand.run(model, tok, Transformer.allLayers(model.config().numLayers()), "Hello", 30, Sampler.greedy(), false,
                    new PrintStream(bytes, true, StandardCharsets.UTF_8));
        }
        int[] prompt = tok.encode("Hello", true), all = Arrays.copyOf(prompt, prompt.length + r.tokens().length);
        System.arraycopy(r.tokens(), 0, all, prompt.length, r.tokens().length);
        assertEquals(30, r.tokens().length);
        assertEquals(tok.decode(all, true) + System.lineSeparator(), bytes.toString(StandardCharsets.UTF_8));
    }
}
