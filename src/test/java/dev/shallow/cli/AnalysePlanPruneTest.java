package dev.shallow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import dev.shallow.model.Model;
import dev.shallow.prune.Pruner;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.StreamSupport;

import static dev.shallow.cli.CliTest.assertOneLineError;
import static dev.shallow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** analyse -> plan -> prune through the CLI on stories260K (8 x 64 calibration tokens), and plan/prune analysing in-process. */
class AnalysePlanPruneTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String MODEL = Shared.model("stories260K").toString();
    static final String[] CALIBRATION = {"--data", "stories", "--samples", "8", "--seq-len", "64"};
    static final int[] PROMPT = {1, 403, 407, 261, 378, 30, 99, 250, 7, 311, 402, 12};

    @TempDir
    Path tmp;

    static String[] args(String[] first, String... more) {
        String[] all = Arrays.copyOf(first, first.length + more.length);
        System.arraycopy(more, 0, all, first.length, more.length);
        return all;
    }

    static CliTest.Run ok(String... args) {
        CliTest.Run r = run(args);
        assertEquals(0, r.code(), r.err());
        return r;
    }

    static int[] ints(JsonNode a) {
        return StreamSupport.stream(a.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }

    /** The pruned checkpoint's logits equal the original model's with the removed layers skipped. */
    static void assertSameAsSkipping(Path pruned, int[] removed) {
        try (Model original = Model.load(Path.of(MODEL)); Model small = Model.load(pruned)) {
            Transformer skipping = new Transformer(original, Transformer.without(original.config().numLayers(), removed));
            Transformer direct = new Transformer(small);
            float[] want = skipping.forward(PROMPT, skipping.newCache(PROMPT.length), true);
            float[] got = direct.forward(PROMPT, direct.newCache(PROMPT.length), true);
            assertEquals(want.length, got.length);
            for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-5, "logit " + i);
        }
    }

    @Test
    void analyseThenPlanThenPrune() throws IOException {
        Path analysis = tmp.resolve("analysis.json"), plan = tmp.resolve("plan.json"), out = tmp.resolve("pruned");
        ok(args(args(new String[]{"analyse", MODEL}, CALIBRATION), "--greedy", "bi,loss", "--greedy-steps", "2", "--out", analysis.toString()));
        JsonNode greedy = JSON.readTree(analysis.toFile()).path("greedy");
        assertEquals(2, greedy.path("bi").size());
        assertEquals(2, greedy.path("loss").size());

        ok("plan", MODEL, "--strategy", "greedy-loss", "--n", "2", "--analysis", analysis.toString(), "--out", plan.toString());
        int[] order = {greedy.path("loss").get(0).path("layer").asInt(), greedy.path("loss").get(1).path("layer").asInt()};
        int[] removed = ints(JSON.readTree(plan.toFile()).path("removed"));
        assertEquals(Arrays.toString(Arrays.stream(order).sorted().toArray()), Arrays.toString(removed), "the first 2 steps of the stored order");

        ok("prune", MODEL, "--plan", plan.toString(), "--out", out.toString());
        JsonNode record = JSON.readTree(out.resolve(Pruner.RECORD).toFile());
        assertEquals("greedy-loss", record.path("strategy").asText());
        assertEquals(analysis.toString(), record.path("plan").path("analysis").path("file").asText());
        JsonNode options = record.path("plan").path("analysis").path("options");
        assertEquals(8, options.path("calibration").path("samples").asInt());
        assertEquals(64, options.path("calibration").path("seq_len").asInt());
        assertEquals("stories", options.path("calibration").path("data").asText());
        assertEquals("[\"bi\",\"loss\"]", options.path("analysis").path("greedy").toString());
        assertSameAsSkipping(out, removed);

        assertOneLineError(run("plan", MODEL, "--strategy", "greedy-bi", "--n", "3", "--analysis", analysis.toString()),
                "greedy-bi", "2 steps, fewer than n = 3", "--greedy-steps 3");
        assertOneLineError(run("plan", MODEL, "--strategy", "greedy-angular", "--n", "1", "--analysis", analysis.toString()),
                "no greedy removal by angular");
    }

    @Test
    void pruneAnalysesInProcessAndRecordsTheOptions() throws IOException {
        Path out = tmp.resolve("pruned");
        CliTest.Run r = ok(args(new String[]{"prune", MODEL, "--strategy", "bi", "--n", "2", "--cka-tokens", "0"}, args(CALIBRATION, "--out", out.toString())));
        assertTrue(r.err().contains("pass"), "progress on stderr: " + r.err());
        JsonNode record = JSON.readTree(out.resolve(Pruner.RECORD).toFile());
        assertEquals("bi", record.path("strategy").asText());
        JsonNode analysis = record.path("plan").path("analysis");
        assertTrue(analysis.path("in_process").asBoolean(), analysis.toString());
        assertFalse(analysis.has("file"));
        assertEquals(8, analysis.path("options").path("calibration").path("samples").asInt());
        assertEquals(0, analysis.path("options").path("analysis").path("cka_tokens").asInt());
        assertSameAsSkipping(out, ints(record.path("removed")));

        // in-process and from a file written by analyse with the same options: the same plan
        Path file = tmp.resolve("analysis.json"), plan = tmp.resolve("plan.json");
        ok(args(args(new String[]{"analyse", MODEL}, CALIBRATION), "--out", file.toString()));
        ok("plan", MODEL, "--strategy", "bi", "--n", "2", "--analysis", file.toString(), "--out", plan.toString());
        assertEquals(record.path("removed").toString(), JSON.readTree(plan.toFile()).path("removed").toString());
    }

    @Test
    void planGreedyInProcessRunsEnoughSteps() throws IOException {
        Path plan = tmp.resolve("plan.json");
        ok(args(new String[]{"plan", MODEL, "--strategy", "greedy-angular", "--n", "3", "--greedy-steps", "1"}, args(CALIBRATION, "--out", plan.toString())));
        JsonNode analysis = JSON.readTree(plan.toFile()).path("analysis").path("options").path("analysis");
        assertEquals("[\"angular\"]", analysis.path("greedy").toString());
        assertEquals(3, analysis.path("greedy_steps").asInt(), "raised to n");
    }

    @Test
    void aMissingOrConflictingAnalysisSourceIsAOneLineError() throws IOException {
        assertOneLineError(run("plan", MODEL, "--strategy", "angular", "--n", "1"), "--strategy angular needs an analysis", "--analysis FILE", "--data");
        Path out = tmp.resolve("out");
        assertOneLineError(run("prune", MODEL, "--strategy", "magnitude", "--n", "1", "--out", out.toString()), "--analysis FILE", "--data");
        assertOneLineError(run("plan", MODEL, "--strategy", "sequential", "--n", "1", "--samples", "8"), "--samples", "uses no analysis");
        Path analysis = tmp.resolve("analysis.json");
        ok("analyse", MODEL, "--samples", "2", "--seq-len", "32", "--cka-tokens", "0", "--out", analysis.toString());
        assertOneLineError(run("plan", MODEL, "--strategy", "bi", "--n", "1", "--analysis", analysis.toString(), "--data", "stories"),
                "--data", "cannot be combined with --analysis");
        assertOneLineError(run("prune", MODEL, "--remove", "1", "--data", "stories", "--out", out.toString()), "exactly one of");
        assertFalse(Files.exists(out));
    }
}
