package dev.shallow.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.analysis.Analyser;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.AnalysisOptions;
import dev.shallow.analysis.AngularTokens;
import dev.shallow.analysis.ClusterCalibration;
import dev.shallow.analysis.GreedyRemoval;
import dev.shallow.analysis.Progress;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.cluster.FileSources;
import dev.shallow.data.CalibrationSet;
import dev.shallow.cluster.Cluster;
import dev.shallow.eval.ClusterLM;
import dev.shallow.eval.Evaluator;
import dev.shallow.eval.HarnessEncoding;
import dev.shallow.eval.PrefixSharing;
import dev.shallow.eval.ResultsJson;
import dev.shallow.eval.TaskOptions;
import dev.shallow.eval.TransformerLM;
import dev.shallow.eval.task.TaskRegistry;
import dev.shallow.model.Model;
import dev.shallow.sweep.PointResult;
import dev.shallow.sweep.RunDirectory;
import dev.shallow.sweep.Sweep;
import dev.shallow.sweep.SweepProgress;
import dev.shallow.sweep.SweepRun;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.MemoryBudget;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On Spark local[2]: a sweep, healed or not, gives the local sweep's results; an interrupted distributed sweep (stopped,
 * or its driver killed) resumes after its last written point; an evaluation with each task's requests in any number of
 * shards gives the local evaluation's numbers; an analysis with its passes split into Spark tasks gives the local analysis whatever the partitioning.
 */
class LocalSparkTest {
    @TempDir
    static Path tmp;
    private static Cluster cluster;
    private static Path local;
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void localSweepAndCluster() {
        local = tmp.resolve("local");
        try (Model model = Model.load(SweepRuns.MODEL)) {
            Sweep.run(model, SweepRuns.options(), local, SweepProgress.NONE);
        }
        cluster = Cluster.connect("local[2]");
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void sweepOnLocal2EqualsTheLocalSweep() throws IOException {
        Path dir = tmp.resolve("spark");
        SweepRun run;
        try (Model model = Model.load(SweepRuns.MODEL)) {
            run = Sweep.run(model, SweepRuns.options(), dir, cluster, SweepProgress.NONE, Integer.MAX_VALUE);
        }
        assertEquals(8, run.points().size());
        SweepRuns.assertSameResults(local, dir);
    }

    @Test
    void aHealingSweepOnLocal2EqualsTheLocalOne() throws IOException {
        Path here = tmp.resolve("healed-local"), there = tmp.resolve("healed-spark");
        try (Model model = Model.load(SweepRuns.MODEL)) {
            Sweep.run(model, SweepRuns.healing(), here, SweepProgress.NONE);
            SweepRun run = Sweep.run(model, SweepRuns.healing(), there, cluster, SweepProgress.NONE, Integer.MAX_VALUE);
            assertEquals(List.of(false, false, true, true), run.points().stream().map(PointResult::healed).toList());
        }
        SweepRuns.assertSameResults(here, there);
    }

    /**
     * eval on local[2] with each task's requests cut into 1, 2, 3 and 8 shards (and automatic) gives the local evaluation:
     * every response bit for bit, every score and stderr, the results JSON. Five tasks of the fixtures and LAMBADA's first 32
     * documents on stories260K without layer 2 (LAMBADA in 8 shards once moved a log-likelihood's last bits), and MMLU
     * 5-shot on two subjects on tiny-qwen2-swa-random, whose prompts fit its context whole, so a shard's requests share the
     * 5-shot prefix.
     */
    @Test
    void anEvaluationInAnyShardsEqualsTheLocalOne() {
        Path fixtures = SweepRuns.shared().resolve("data/fixtures"), data = SweepRuns.shared().resolve("data");
        int[] withoutLayer2 = {0, 1, 3, 4};
        assertShardsGiveTheLocalRun(SweepRuns.MODEL, withoutLayer2, List.of("arc_easy", "hellaswag", "lambada_openai", "wikitext", "loss"), fixtures, 0);
        assertShardsGiveTheLocalRun(SweepRuns.MODEL, withoutLayer2, List.of("lambada_openai"), data, 32);
        assertShardsGiveTheLocalRun(SweepRuns.shared().resolve("models/tiny-qwen2-swa-random"), null, List.of("mmlu_abstract_algebra", "mmlu_world_religions"), data, 5);
    }

    private static void assertShardsGiveTheLocalRun(Path dir, int[] kept, List<String> names, Path data, int limit) {
        TaskRegistry.Selection tasks = TaskRegistry.resolve(names, new TaskOptions(data, TaskOptions.DEFAULT_SHOTS, 1234), Path.of("data/stories260K-heldout-16.jsonl"), "text");
        Evaluator.Options options = new Evaluator.Options(limit, 1000);
        ObjectNode config = JSON.createObjectNode().put("model", dir.toString());
        try (Model model = Model.load(dir)) {
            int[] layers = kept != null ? kept : Transformer.without(model.config().numLayers(), new int[0]);
            HarnessEncoding encoding = HarnessEncoding.of(Tokenizer.load(dir), false, model.config().maxPositionEmbeddings());
            Evaluator.Results local = Evaluator.evaluate(new TransformerLM(new Transformer(model, layers), encoding, 2048, PrefixSharing.heapShare()),
                    tasks.tasks(), tasks.groups(), options, Progress.NONE);
            ClusterLM.Spec spec = ClusterLM.Spec.of(dir, layers, false, 2048, PrefixSharing.heapShare(), MemoryBudget.DEFAULT);
            for (int shards : new int[]{1, 2, 3, 8, 0}) {
                String where = dir.getFileName() + " " + names + ", " + (shards == 0 ? "automatic shards" : shards + " shards");
                Evaluator.Results distributed = Evaluator.evaluate(new ClusterLM(cluster, spec, ClusterLM.Sharding.of(shards, model, spec)),
                        tasks.tasks(), tasks.groups(), options, Progress.NONE);
                assertEquals(local.tasks().size(), distributed.tasks().size(), where);
                for (int t = 0; t < local.tasks().size(); t++) {
                    Evaluator.TaskResult want = local.tasks().get(t), got = distributed.tasks().get(t);
                    String task = where + ", " + want.task().name();
                    assertTrue(want.docs().size() >= 2, task + ": " + want.docs().size() + " documents");
                    assertEquals(want.docs().size(), got.docs().size(), task);
                    // record equality compares each double with Double.compare: bit for bit
                    for (int d = 0; d < want.docs().size(); d++) assertEquals(want.docs().get(d).responses(), got.docs().get(d).responses(), task + ", document " + d);
                    for (int m = 0; m < want.scores().size(); m++) {
                        Evaluator.Score a = want.scores().get(m), b = got.scores().get(m);
                        assertEquals(a.metric().name(), b.metric().name(), task);
                        assertEquals(a.value(), b.value(), 0.0, task + " " + a.metric().name());
                        assertEquals(a.stderr(), b.stderr(), 0.0, task + " " + a.metric().name() + " stderr");
                    }
                }
                assertEquals(ResultsJson.toJson(local, config, "test"), ResultsJson.toJson(distributed, config, "test"), where + ": the results JSON");
            }
        }
    }

    /**
     * analyse on local[2] with the calibration set in 1, 2 and 3 partitions writes the local analysis.json byte for byte: with
     * all-token angular distance every measurement (CKA, the losses, the layer, sub-block and head ablations, the greedy
     * removals by BI, angular distance, loss and sub-block); with last-token angular distance the statistics pass (the rest
     * does not depend on it). Also compared field by field.
     */
    @Test
    void anAnalysisOnLocal2EqualsTheLocalOneForAnyPartitioning() throws IOException {
        try (Model model = Model.load(SweepRuns.MODEL)) {
            CalibrationSet calibration = SweepRuns.calibration(model);
            for (AngularTokens tokens : AngularTokens.values()) {
                boolean all = tokens == AngularTokens.ALL;
                AnalysisOptions o = new AnalysisOptions(tokens, all, 3, 64, 3, all ? List.of(GreedyRemoval.Metric.values()) : List.of(), 2,
                        MemoryBudget.DEFAULT, all, all ? 1 : 0);
                Path here = tmp.resolve("analysis-" + tokens.label() + ".json");
                Analysis local = Analyser.run(model, calibration, o, Progress.NONE);
                assertEquals(all ? 3 : 0, local.greedy().size());
                local.write(here);
                for (int parts = 1; parts <= 3; parts++) {
                    Path there = tmp.resolve("analysis-" + tokens.label() + "-" + parts + ".json");
                    Analysis distributed = Analyser.run(ClusterCalibration.on(cluster, model, calibration.sequences(), parts), calibration, o, Progress.NONE);
                    distributed.write(there);
                    String where = tokens.label() + " tokens, " + parts + " partitions";
                    assertArrayEquals(Files.readAllBytes(here), Files.readAllBytes(there), where);
                    SweepRuns.assertSameFields(JSON.readTree(here.toFile()), JSON.readTree(there.toFile()), where);
                }
            }
        }
    }

    /**
     * The model given as a URI of a Hadoop FileSystem (testfs://, {@link CountingFileSystem}): the driver copies it into the
     * cache, the tasks are given the URI and open the cached copy (local[2]'s executors share the driver's JVM and cache, so
     * nothing is read again), and the analysis equals the local one but for the model's path, which is the URI.
     */
    @Test
    void anAnalysisOfAModelAtAHadoopUriEqualsTheLocalOne() throws IOException {
        System.setProperty("shallow.remote.cache", tmp.resolve("model-cache").toString());
        try {
            String uri = "testfs://" + SweepRuns.MODEL;
            AnalysisOptions o = new AnalysisOptions(AngularTokens.LAST, true, 3, 64, 3, List.of(GreedyRemoval.Metric.BI), 1);
            Analysis local;
            try (Model model = Model.load(SweepRuns.MODEL)) {
                local = Analyser.run(model, SweepRuns.calibration(model), o, Progress.NONE);
            }
            int opened = CountingFileSystem.OPENED.get();
            try (Model model = Model.load(FileSources.local(uri))) {
                int copied = CountingFileSystem.OPENED.get() - opened;
                assertTrue(copied >= 3, copied + " files copied");
                CalibrationSet calibration = SweepRuns.calibration(model);
                Analysis remote = Analyser.run(ClusterCalibration.on(cluster, model, calibration.sequences(), 2), calibration, o, Progress.NONE);
                assertEquals(copied, CountingFileSystem.OPENED.get() - opened, "the tasks opened the cached copy");
                assertEquals(uri, remote.model().path());
                local.write(tmp.resolve("analysis-local.json"));
                remote.write(tmp.resolve("analysis-testfs.json"));
                JsonNode want = JSON.readTree(tmp.resolve("analysis-local.json").toFile()), got = JSON.readTree(tmp.resolve("analysis-testfs.json").toFile());
                ((ObjectNode) want.get("model")).remove("path");
                ((ObjectNode) got.get("model")).remove("path");
                SweepRuns.assertSameFields(want, got, "analysis of " + uri);
            }
        } finally {
            System.clearProperty("shallow.remote.cache");
        }
    }

    @Test
    void aDriverKilledMidRunIsResumedToTheLocalResults() throws Exception {
        Path dir = tmp.resolve("killed"), results = dir.resolve(RunDirectory.RESULTS);
        // the same sweep as SweepRuns.options(), from the command line, in a driver JVM of its own on local[2]
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + System.getProperty("spark.jvm.args"), "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                "dev.shallow.cli.Main", "sweep", SweepRuns.MODEL.toString(), "--strategies", "angular,random", "--fractions", "0:0.6:0.2",
                "--tasks", "arc_easy", "--limit", "5", "--data-dir", SweepRuns.shared().resolve("data/fixtures").toString(),
                "--loss-data", "data/stories260K-heldout-16.jsonl", "--data", SweepRuns.options().calibration().data(), "--samples", "8", "--seq-len", "64",
                "--out", dir.toString(), "--spark", "local[2]"));
        Process driver = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(tmp.resolve("driver.log").toFile()).start();
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (driver.isAlive() && lines(results) < 1 && System.nanoTime() < deadline) Thread.sleep(5);
        driver.destroyForcibly().waitFor(); // SIGKILL, as soon as its first line is written
        int written = lines(results);
        assertTrue(written >= 1 && written < 8, "killed mid-run: " + written + " lines written\n" + Files.readString(tmp.resolve("driver.log")));
        try (Model model = Model.load(SweepRuns.MODEL)) {
            assertEquals(8, Sweep.run(model, SweepRuns.options(), dir, cluster, SweepProgress.NONE, Integer.MAX_VALUE).points().size());
        }
        SweepRuns.assertSameResults(local, dir);
    }

    private static int lines(Path file) throws IOException {
        return Files.exists(file) ? (int) Files.readString(file).chars().filter(c -> c == '\n').count() : 0;
    }

    @Test
    void anInterruptedDistributedSweepResumesAfterItsLastPoint() throws IOException {
        Path dir = tmp.resolve("resumed");
        try (Model model = Model.load(SweepRuns.MODEL)) {
            Sweep.run(model, SweepRuns.options(), dir, cluster, SweepProgress.NONE, 3);
            assertEquals(3, Files.readAllLines(dir.resolve(RunDirectory.RESULTS)).size(), "the driver stopped after 3 points");
            SweepRun run = Sweep.run(model, SweepRuns.options(), dir, cluster, SweepProgress.NONE, Integer.MAX_VALUE);
            assertEquals(8, run.points().size());
        }
        SweepRuns.assertSameResults(local, dir);
        assertTrue(Files.readString(dir.resolve(RunDirectory.RESULTS)).endsWith("\n"));
    }
}
