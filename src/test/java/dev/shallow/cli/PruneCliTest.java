package dev.shallow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.model.ModelConfig;
import dev.shallow.prune.Pruner;
import dev.shallow.prune.SourceModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.shallow.cli.CliTest.assertOneLineError;
import static dev.shallow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code shallow plan} and {@code shallow prune} in-process: outputs, and one-line errors with nothing written.
 * Needs {@link PlanCommand} and {@link PruneCommand} registered as subcommands in {@link Main}.
 */
class PruneCliTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String STORIES_16L = Shared.model("stories-16L").toString();

    @TempDir
    Path tmp;

    Path out() {
        return tmp.resolve("out");
    }

    /** A refused prune: one line naming {@code what}, non-zero exit, and nothing at all beside OUT. */
    void refused(String[] args, String... what) throws IOException {
        String[] all = Stream.concat(Stream.of("prune", STORIES_16L), Stream.concat(Arrays.stream(args), Stream.of("--out", out().toString())))
                .toArray(String[]::new);
        assertOneLineError(run(all), what);
        assertFalse(Files.exists(out()), "OUT must not exist after " + Arrays.toString(args));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().contains("out")).toList(), "no temporary directory left");
        }
    }

    @Test
    void pruneRemovesARange() throws IOException {
        CliTest.Run r = run("prune", STORIES_16L, "--remove", "6-9", "--out", out().toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("removed layers 6-9"), r.out());
        assertTrue(r.out().matches("(?s).*layers\\s+16 -> 12.*"), r.out());
        assertTrue(r.out().contains("parameters"), r.out());
        assertEquals(12, ModelConfig.load(out()).numLayers());
    }

    @Test
    void pruneAndPlanWriteTheMergekitYaml() throws IOException {
        Path pruneYaml = tmp.resolve("prune.yaml"), planYaml = tmp.resolve("plan.yaml");
        CliTest.Run r = run("prune", STORIES_16L, "--remove", "6-9", "--out", out().toString(), "--mergekit", pruneYaml.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote " + pruneYaml + " (mergekit passthrough, layer_range half-open)"), r.out());
        String y = Files.readString(pruneYaml);
        assertTrue(y.contains("layer_range: [0, 6]\n") && y.contains("layer_range: [10, 16]\n") && y.contains("strategy: \"explicit\""), y);

        r = run("plan", STORIES_16L, "--strategy", "deepest", "--n", "4", "--mergekit", planYaml.toString());
        assertEquals(0, r.code(), r.err());
        y = Files.readString(planYaml);
        assertTrue(y.contains("layer_range: [0, 11]\n") && y.contains("layer_range: [15, 16]\n") && y.contains("strategy: \"deepest\""), y);
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of("out", "plan.yaml", "prune.yaml"), s.map(p -> p.getFileName().toString()).sorted().toList(), "plan prunes nothing");
        }
    }

    @Test
    void theMergekitFileIsAnOutputApartFromTheInputsAndOut() throws IOException {
        refused(new String[]{"--remove", "6-9", "--mergekit", out().resolve("m.yaml").toString()}, "another output of this command");
        refused(new String[]{"--remove", "6-9", "--mergekit", STORIES_16L + "/config.json"}, "inside an input");
        Path plan = tmp.resolve("plan.json");
        assertOneLineError(run("plan", STORIES_16L, "--strategy", "deepest", "--n", "4", "--out", plan.toString(), "--mergekit", plan.toString()),
                "another output of this command");
        assertOneLineError(run("plan", STORIES_16L, "--strategy", "deepest", "--all-n", "--mergekit", tmp.resolve("m.yaml").toString()), "--all-n");
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(), s.toList(), "nothing written");
        }
    }

    @Test
    void badLayerListsAndCounts() throws IOException {
        refused(new String[]{"--remove", "0-15"}, "0-15", "at least one layer must stay");
        refused(new String[]{"--remove", "16"}, "16", "does not exist");
        refused(new String[]{"--remove", "3,16-17"}, "16", "does not exist");
        refused(new String[]{"--remove", "2-4,4"}, "2-4,4", "given twice");
        refused(new String[]{"--remove", "2-5,4-6"}, "given twice");
        refused(new String[]{"--remove", "3-"}, "3-", "not a layer index");
        refused(new String[]{"--remove", "a-b"}, "a-b", "not a layer index");
        refused(new String[]{"--remove", "5-3"}, "5-3", "backwards");
        refused(new String[]{"--strategy", "sequential", "--n", "16"}, "--n 16", "at least one must stay");
        refused(new String[]{"--strategy", "sequential", "--n", "0"}, "--n 0");
        refused(new String[]{"--strategy", "reverse", "--fraction", "0.99"}, "--fraction 0.99", "rounds to 16");
        refused(new String[]{"--strategy", "bi", "--n", "2"}, "--analysis");
        refused(new String[]{"--strategy", "greedy-bi", "--n", "2"}, "greedy-bi");
        refused(new String[]{"--strategy", "sequential"}, "--n");
        refused(new String[]{"--remove", "3", "--strategy", "sequential", "--n", "1"}, "exactly one of");
        refused(new String[0], "exactly one of");
    }

    @Test
    void planThenPrune() throws IOException {
        Path plan = tmp.resolve("plan.json");
        CliTest.Run p = run("plan", STORIES_16L, "--strategy", "deepest", "--fraction", "0.2", "--out", plan.toString());
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().contains("remove 3 of 16 layers (deepest, fraction 0.2 rounded half up): 12-14"), p.out());
        JsonNode json = JSON.readTree(plan.toFile());
        assertEquals("[12,13,14]", json.get("removed").toString());
        assertEquals("[0,1,2,3,4,5,6,7,8,9,10,11,15]", json.get("kept").toString());

        CliTest.Run r = run("prune", STORIES_16L, "--plan", plan.toString(), "--out", out().toString());
        assertEquals(0, r.code(), r.err());
        JsonNode record = JSON.readTree(out().resolve(Pruner.RECORD).toFile());
        assertEquals("deepest", record.get("strategy").asText());
        assertEquals(plan.toString(), record.get("plan_file").asText());
        assertEquals("0.2", record.get("plan").get("fraction").asText());
        assertEquals("[12,13,14]", record.get("removed").toString());
    }

    @Test
    void planForEveryN() {
        CliTest.Run r = run("plan", STORIES_16L, "--strategy", "random", "--seed", "3", "--all-n");
        assertEquals(0, r.code(), r.err());
        assertEquals(15, r.out().lines().filter(l -> l.matches("\\s*\\d+\\s+\\S.*")).count(), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s*15\\s+.*")), r.out());
        CliTest.Run again = run("plan", STORIES_16L, "--strategy", "random", "--seed", "3", "--all-n");
        assertEquals(r.out(), again.out(), "same seed, same table");
    }

    @Test
    void planFromAnotherModelIsRefused() throws IOException {
        Path plan = tmp.resolve("plan-260K.json");
        assertEquals(0, run("plan", Shared.model("stories260K").toString(), "--strategy", "sequential", "--n", "1", "--out", plan.toString()).code());
        refused(new String[]{"--plan", plan.toString()}, plan.toString(), "computed on model", "stories260K");
    }

    @Test
    void analysisFromAnotherModelIsRefused() throws IOException {
        Path file = tmp.resolve("analysis-260K.json");
        ModelIdentity other = SourceModel.identity(Shared.model("stories260K"));
        double[][] d = new double[5][5];
        for (int l = 0; l < 5; l++) for (int n = 1; n <= 5; n++) d[l][n - 1] = l + n <= 5 ? 0.5 : Double.NaN;
        new Analysis(other, JSON.createObjectNode(), 5, "last", d, new double[5], new double[5], null, null, Double.NaN, Map.of()).write(file);
        refused(new String[]{"--strategy", "bi", "--n", "2", "--analysis", file.toString()}, file.toString(), "computed on model", "stories260K");
        CliTest.Run plan = run("plan", STORIES_16L, "--strategy", "bi", "--n", "2", "--analysis", file.toString());
        assertOneLineError(plan, file.toString(), "computed on model", "stories260K");
    }

    static final String[] CALIBRATION = {"--data", "data/stories260K-train-64.jsonl", "--samples", "4", "--seq-len", "64"};

    /** prune --replace linear end to end: the fit printed and recorded, the map fitting better than removal alone. */
    @Test
    void pruneReplacesLinearly() throws IOException {
        String[] args = Stream.concat(Stream.of("prune", STORIES_16L, "--remove", "6-9", "--replace", "linear", "--out", out().toString()),
                Arrays.stream(CALIBRATION)).toArray(String[]::new);
        CliTest.Run r = run(args);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*replace +layers 6-9: map folded into layer 5's down projection; residual error 0\\.\\d+ of "
                + "\\|\\|L - A\\|\\|\\^2 \\(0\\.\\d+ with the layers just removed\\), 256 tokens.*"), r.out());
        JsonNode cut = JSON.readTree(out().resolve(Pruner.RECORD).toFile()).get("replacement").get("cuts").get(0);
        assertEquals(5, cut.get("folded_into_pruned_layer").asInt());
        assertTrue(cut.get("relative_error").asDouble() < cut.get("relative_error_without_map").asDouble(), cut.toString());
        assertEquals(12, ModelConfig.load(out()).numLayers());
    }

    /** A strategy chosen on an analysis run now: the analysis and the replacement read the same calibration options. */
    @Test
    void strategyAndReplacementShareTheCalibration() throws IOException {
        String[] args = Stream.concat(Stream.of("prune", STORIES_16L, "--strategy", "angular", "--n", "2", "--replace", "linear", "--ridge", "1e-3",
                "--out", out().toString()), Arrays.stream(CALIBRATION)).toArray(String[]::new);
        CliTest.Run r = run(args);
        assertEquals(0, r.code(), r.err());
        JsonNode record = JSON.readTree(out().resolve(Pruner.RECORD).toFile());
        assertEquals("angular", record.get("strategy").asText());
        JsonNode replacement = record.get("replacement");
        assertEquals(1e-3, replacement.get("ridge").asDouble());
        assertEquals(256, replacement.get("calibration").get("tokens").asInt());
        assertEquals(record.get("plan").get("analysis").get("options").get("calibration").get("token_sha256"), replacement.get("calibration").get("token_sha256"));
        int[] removed = JSON.treeToValue(record.get("removed"), int[].class);
        assertEquals(removed[0] - 1, replacement.get("cuts").get(0).get("folded_into_layer").asInt());
    }

    @Test
    void replaceRefusesBadRequests() throws IOException {
        refused(new String[]{"--remove", "6-9", "--replace", "linear"}, "--replace linear needs calibration text", "--data");
        refused(Stream.concat(Stream.of("--remove", "6-9", "--replace", "cubic"), Arrays.stream(CALIBRATION)).toArray(String[]::new), "--replace", "cubic");
        refused(Stream.concat(Stream.of("--remove", "6-9", "--replace", "linear", "--ridge", "-1"), Arrays.stream(CALIBRATION)).toArray(String[]::new), "--ridge", "-1");
        refused(new String[]{"--remove", "6-9", "--ridge", "0.1"}, "--ridge goes with --replace");
        refused(Stream.concat(Stream.of("--remove", "0-2", "--replace", "linear"), Arrays.stream(CALIBRATION)).toArray(String[]::new), "layers 0-2", "layer 0");
        refused(Stream.concat(Stream.of("--remove-mlp", "3", "--replace", "linear"), Arrays.stream(CALIBRATION)).toArray(String[]::new), "sub-blocks");
    }
}
