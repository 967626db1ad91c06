package dev.shallow.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.analysis.AnalysisOptions;
import dev.shallow.data.CalibrationOptions;
import dev.shallow.data.CalibrationSet;
import dev.shallow.model.Model;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.eval.TaskOptions;
import dev.shallow.heal.HealOptions;
import dev.shallow.prune.Strategy;
import dev.shallow.sweep.Fractions;
import dev.shallow.sweep.HealMethod;
import dev.shallow.sweep.RunDirectory;
import dev.shallow.sweep.SweepOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A sweep small enough for Spark tests (stories260K, 5 layers) and the checks that two sweep directories hold the same results. */
final class SweepRuns {
    static final Path MODEL = Path.of("models/stories260K").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    private SweepRuns() {
    }

    static Path shared() {
        return Path.of(System.getProperty("shallow.shared", "../shared")).toAbsolutePath().normalize();
    }

    /** The sweeps' calibration set (8 sequences of 64 tokens of data/stories260K-train-64.jsonl) tokenized for {@code model}. */
    static CalibrationSet calibration(Model model) {
        return CalibrationSet.load(options().calibration(), Tokenizer.load(model.dir()), model.config().maxPositionEmbeddings(), shared().resolve("data"));
    }

    /** angular and random at 0, 0.2, 0.4 and 0.6: 8 lines, 7 evaluations (the unpruned model once); arc_easy on 5 documents and the loss. */
    static SweepOptions options() {
        return new SweepOptions(List.of(Strategy.ANGULAR, Strategy.RANDOM), Fractions.parse("0:0.6:0.2"), List.of("arc_easy"),
                Path.of("data/stories260K-heldout-16.jsonl"), "text", 5, TaskOptions.DEFAULT_SHOTS, 1234, 0, false, shared().resolve("data/fixtures"),
                new CalibrationOptions(Path.of("data/stories260K-train-64.jsonl").toAbsolutePath().toString(), "text", 8, 64, true, true, true, 0),
                shared().resolve("data"), AnalysisOptions.defaults());
    }

    /** angular at 0 and 0.2, the pruned point also healed by LoRA (2 steps of 2 x 64 tokens, rank 4) and by ReplaceMe: 4 lines. */
    static SweepOptions healing() {
        SweepOptions o = options();
        HealOptions heal = new HealOptions(Path.of("data/stories260K-train-64.jsonl").toAbsolutePath().toString(), "text", null, 8, 4, 8, 0.05,
                HealOptions.parseTargets("q,k,v,o,gate,up,down"), 256, 1e-3, 0, 2, 64, 1, false, 0, 0, 1.0);
        return new SweepOptions(List.of(Strategy.ANGULAR), Fractions.parse("0,0.2"), o.tasks(), o.lossData(), o.lossField(), o.limit(), o.shots(),
                o.fewshotSeed(), o.seed(), o.addBos(), o.dataDir(), o.calibration(), o.sharedData(), o.analysis(), heal, List.of(HealMethod.LORA, HealMethod.REPLACEME));
    }

    /**
     * The two runs' results.jsonl are the same lines in the same order, compared field by field (only the wall times,
     * "seconds", may differ), and their analysis.json and generations.json are byte-identical.
     */
    static void assertSameResults(Path expected, Path actual) throws IOException {
        List<String> want = Files.readAllLines(expected.resolve(RunDirectory.RESULTS)), got = Files.readAllLines(actual.resolve(RunDirectory.RESULTS));
        assertEquals(want.size(), got.size(), "lines of results.jsonl");
        for (int i = 0; i < want.size(); i++) assertSameFields(withoutTimes(JSON.readTree(want.get(i))), withoutTimes(JSON.readTree(got.get(i))), "line " + (i + 1));
        for (String f : List.of(RunDirectory.ANALYSIS, RunDirectory.GENERATIONS)) {
            assertArrayEquals(Files.readAllBytes(expected.resolve(f)), Files.readAllBytes(actual.resolve(f)), f);
        }
    }

    /** Two JSON trees with the same fields in the same order and equal values (numbers compared as the doubles they read as). */
    static void assertSameFields(JsonNode want, JsonNode got, String where) {
        if (want.isObject()) {
            assertEquals(iterable(want.fieldNames()), iterable(got.fieldNames()), where + ": fields");
            for (Map.Entry<String, JsonNode> e : want.properties()) assertSameFields(e.getValue(), got.get(e.getKey()), where + "." + e.getKey());
        } else {
            assertEquals(want, got, where);
        }
    }

    private static List<String> iterable(Iterator<String> names) {
        List<String> out = new java.util.ArrayList<>();
        names.forEachRemaining(out::add);
        return out;
    }

    private static JsonNode withoutTimes(JsonNode line) {
        ObjectNode o = (ObjectNode) line;
        o.remove("seconds");
        if (o.get("heal") instanceof ObjectNode heal) heal.remove("seconds");
        return o;
    }
}
