package dev.shallow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.shallow.cli.CliTest.assertOneLineError;
import static dev.shallow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** shallow eval: results in the harness layout, samples, determinism across threads, and bad input refused before anything is written. */
class EvalCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static String fixtures() {
        return Shared.root().resolve("data/fixtures").toString();
    }

    static JsonNode read(Path file) throws IOException {
        return JSON.readTree(file.toFile());
    }

    @Test
    void writesHarnessLayoutAndSamples(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("results.json");
        CliTest.Run r = run("eval", "--tasks", "lambada_openai,wikitext", "--data-dir", fixtures(), "--out", out.toString(), "--log-samples");
        assertEquals(0, r.code(), r.err());
        JsonNode res = read(out);
        JsonNode lambada = res.path("results").path("lambada_openai");
        assertTrue(lambada.path("acc,none").isNumber() && lambada.path("acc_stderr,none").isNumber(), lambada.toString());
        assertTrue(lambada.path("perplexity,none").asDouble() > 1, lambada.toString());
        assertEquals("N/A", res.path("results").path("wikitext").path("word_perplexity_stderr,none").asText());
        assertEquals(5, res.path("n-samples").path("lambada_openai").path("effective").asInt());
        assertEquals(2, res.path("n-samples").path("wikitext").path("original").asInt());
        assertEquals(0, res.path("n-shot").path("lambada_openai").asInt());
        assertFalse(res.path("higher_is_better").path("wikitext").path("bits_per_byte").asBoolean(true));
        assertTrue(res.path("config").path("model_args").asText().startsWith("pretrained="));
        assertTrue(r.out().contains("| lambada_openai | 0 | 5 | acc |"), r.out());

        var lines = Files.readAllLines(tmp.resolve("results_samples_lambada_openai.jsonl"));
        assertEquals(5, lines.size());
        JsonNode first = JSON.readTree(lines.getFirst());
        assertEquals(0, first.path("doc_id").asInt());
        assertTrue(first.path("arguments").get(0).get(1).asText().startsWith(" "), "continuation starts with the target delimiter");
        assertEquals(2, first.path("resps").get(0).size(), "log-likelihood and is_greedy");
        assertTrue(Files.exists(tmp.resolve("results_samples_wikitext.jsonl")));
    }

    /**
     * --precision bf16 reaches the products: the held-out loss moves, by less than 1e-3 nats per token (README: 6e-5 on 16
     * stories); the next command in the same JVM is back in f32 (the same bits as before).
     */
    @Test
    void bf16MovesTheLossSlightlyAndEndsWithTheCommand(@TempDir Path tmp) throws IOException {
        String data = Shared.root().resolve("data/stories260K-samples/heldout.jsonl").toString();
        double[] loss = new double[3];
        String[] precisions = {"f32", "bf16", "f32"};
        for (int i = 0; i < 3; i++) {
            Path out = tmp.resolve("r" + i + ".json");
            CliTest.Run r = run("eval", "--tasks", "loss", "--loss-data", data, "--limit", "4", "--out", out.toString(), "--precision", precisions[i]);
            assertEquals(0, r.code(), r.err());
            loss[i] = read(out).path("results").path("loss").path("loss,none").asDouble();
        }
        assertTrue(loss[1] != loss[0] && Math.abs(loss[1] - loss[0]) < 1e-3, loss[0] + " vs bf16 " + loss[1]);
        assertEquals(loss[0], loss[2]);
    }

    /** The same command gives the same numbers, bit for bit, whatever the thread count. */
    @Test
    void sameNumbersForAnyThreadCount(@TempDir Path tmp) throws IOException {
        String data = Shared.root().resolve("data/stories260K-samples/heldout.jsonl").toString();
        JsonNode[] results = new JsonNode[3];
        for (int threads = 1; threads <= 3; threads++) {
            Path out = tmp.resolve("r" + threads + ".json");
            CliTest.Run r = run("eval", "--tasks", "lambada_openai,loss", "--data-dir", fixtures(), "--loss-data", data, "--limit", "8",
                    "--threads", String.valueOf(threads), "--out", out.toString());
            assertEquals(0, r.code(), r.err());
            results[threads - 1] = read(out).path("results");
        }
        assertEquals(results[0], results[1]);
        assertEquals(results[0], results[2]);
        double loss = results[0].path("loss").path("loss,none").asDouble();
        assertTrue(loss > 0.5 && loss < 2, "stories260K's held-out loss in nats per token: " + loss);
    }

    /** --prefix-cache-mb bounds the sharing that --no-prefix-sharing turns off: both at once are refused; the bound is in the config. */
    @Test
    void prefixCacheBoundIsRecordedAndNeedsSharing(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("r.json");
        assertOneLineError(run("eval", "--tasks", "lambada_openai", "--data-dir", fixtures(), "--no-prefix-sharing", "--prefix-cache-mb", "8",
                "--out", out.toString()), "--prefix-cache-mb", "--no-prefix-sharing");
        assertFalse(Files.exists(out));
        CliTest.Run r = run("eval", "--tasks", "lambada_openai", "--data-dir", fixtures(), "--prefix-cache-mb", "8", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(read(out).path("config").path("prefix_sharing").asBoolean());
        assertEquals(8L << 20, read(out).path("config").path("prefix_cache_bytes").asLong());
    }

    /**
     * --spark-shards needs --spark; more than one shard is refused, before Spark starts (the Spark module is not on the core's
     * classpath), where bf16 products of BF16 weights may run on oneDNN; with one shard the refusal left is the missing module.
     */
    @Test
    void sparkShardsNeedSparkAndBatchInvariantProducts(@TempDir Path tmp) {
        Path out = tmp.resolve("r.json");
        assertOneLineError(run("eval", "--tasks", "lambada_openai", "--data-dir", fixtures(), "--spark-shards", "2", "--out", out.toString()),
                "--spark-shards", "needs --spark");
        String bf16Model = Shared.model("tiny-qwen2-random").toString();
        assertOneLineError(run("eval", bf16Model, "--tasks", "lambada_openai", "--data-dir", fixtures(), "--precision", "bf16", "--spark", "local[2]",
                "--spark-shards", "2", "--out", out.toString()), "--spark-shards 2", "--precision bf16", "--matmul auto", "oneDNN");
        assertOneLineError(run("eval", bf16Model, "--tasks", "lambada_openai", "--data-dir", fixtures(), "--precision", "bf16", "--spark", "local[2]",
                "--spark-shards", "1", "--out", out.toString()), "--spark", "bash scripts/build_spark.sh");
        assertFalse(Files.exists(out));
    }

    @Test
    void unknownTaskIsRefused(@TempDir Path tmp) {
        Path out = tmp.resolve("r.json");
        assertOneLineError(run("eval", "--tasks", "lambada_openai,nosuchtask", "--data-dir", fixtures(), "--out", out.toString()), "nosuchtask");
        assertFalse(Files.exists(out));
    }

    @Test
    void missingDataFileIsNamed(@TempDir Path tmp) {
        Path out = tmp.resolve("r.json");
        assertOneLineError(run("eval", "--tasks", "wikitext", "--data-dir", tmp.toString(), "--out", out.toString()), "wiki.test.raw", "not found");
        assertFalse(Files.exists(out));
    }

    @Test
    void limitZeroIsRefused(@TempDir Path tmp) {
        Path out = tmp.resolve("r.json");
        assertOneLineError(run("eval", "--tasks", "lambada_openai", "--data-dir", fixtures(), "--limit", "0", "--out", out.toString()), "--limit");
        assertFalse(Files.exists(out));
    }

    @Test
    void malformedRowIsNamedWithItsLine(@TempDir Path tmp) {
        Path out = tmp.resolve("r.json");
        String bad = Shared.root().resolve("data/fixtures/bad/truncated.jsonl").toString();
        assertOneLineError(run("eval", "--tasks", "loss", "--loss-data", bad, "--loss-field", "query", "--out", out.toString()), "truncated.jsonl", "line 3");
        assertFalse(Files.exists(out));
    }

    /** A malformed MMLU file in a data folder: the error names the file and the record before any model work; no results. */
    @Test
    void malformedMmluFileIsRefused(@TempDir Path tmp) throws IOException {
        Path data = tmp.resolve("data");
        Files.createDirectories(data.resolve("mmlu/dev"));
        Files.createDirectories(data.resolve("mmlu/test"));
        Files.copy(Shared.root().resolve("data/fixtures/mmlu/dev/astronomy_dev.csv"), data.resolve("mmlu/dev/astronomy_dev.csv"));
        Files.copy(Shared.root().resolve("data/fixtures/bad/mmlu_answer_E.csv"), data.resolve("mmlu/test/astronomy_test.csv"));
        Path out = tmp.resolve("r.json");
        CliTest.Run r = run("eval", "--tasks", "mmlu", "--data-dir", data.toString(), "--out", out.toString());
        assertOneLineError(r, "astronomy_test.csv", "E");
        assertFalse(Files.exists(out));
    }

    /** Evaluating with --remove (layer skipping, nothing written) gives the numbers of the checkpoint `prune` writes, bit for bit. */
    @Test
    void removedLayersScoreLikeThePrunedCheckpoint(@TempDir Path tmp) throws IOException {
        String data = Shared.root().resolve("data/stories260K-samples/heldout.jsonl").toString();
        Path pruned = tmp.resolve("pruned");
        assertEquals(0, run("prune", Shared.model("stories260K").toString(), "--remove", "2", "--out", pruned.toString()).code());
        JsonNode[] results = new JsonNode[3];
        String[][] models = {{Shared.model("stories260K").toString()}, {Shared.model("stories260K").toString(), "--remove", "2"}, {pruned.toString()}};
        for (int i = 0; i < 3; i++) {
            Path out = tmp.resolve("r" + i + ".json");
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("eval"));
            args.addAll(java.util.List.of(models[i]));
            args.addAll(java.util.List.of("--tasks", "lambada_openai,loss", "--data-dir", fixtures(), "--loss-data", data, "--limit", "6", "--out", out.toString()));
            CliTest.Run r = run(args.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            results[i] = read(out).path("results");
        }
        assertEquals(results[2], results[1], "skipping layer 2 = the checkpoint without it");
        assertTrue(results[1].path("loss").path("loss,none").asDouble() > results[0].path("loss").path("loss,none").asDouble() + 0.1,
                "removing a layer of a 5-layer model costs loss");
    }
}
