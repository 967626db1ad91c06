package dev.shallow.cli;

import dev.shallow.sweep.SweepFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.shallow.cli.CliTest.assertOneLineError;
import static dev.shallow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** shallow sweep: a run, a rerun that resumes with nothing left, and bad input refused with nothing written. */
class SweepCommandTest {
    /** A 4-point sweep of the bundled model (angular and random at 0 and 0.2) into {@code out}, plus {@code extra} options. */
    static CliTest.Run sweep(Path out, String fractions, String... extra) {
        List<String> args = new ArrayList<>(List.of("sweep", "--strategies", "angular,random", "--fractions", fractions, "--tasks", "arc_easy",
                "--limit", "3", "--data-dir", EvalCommandTest.fixtures(), "--loss-data", SweepFixture.HELDOUT.toString(),
                "--data", "data/stories260K-train-64.jsonl", "--samples", "8", "--seq-len", "64", "--out", out.toString()));
        args.addAll(List.of(extra));
        return run(args.toArray(String[]::new));
    }

    @Test
    void sweepsThenResumesWithNothingLeft(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("run");
        CliTest.Run r = sweep(out, "0,0.2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("4 of 4 points"), r.out());
        assertTrue(r.out().contains("shallow report " + out), r.out());
        assertTrue(r.err().contains("angular 0.2 (n=1)"), r.err());
        List<String> lines = Files.readAllLines(out.resolve("results.jsonl"));
        assertEquals(4, lines.size());
        r = sweep(out, "0,0.2");
        assertEquals(0, r.code(), r.err());
        assertEquals(lines, Files.readAllLines(out.resolve("results.jsonl")), "nothing is run twice");
    }

    @Test
    void healsEachPrunedPointAndRefusesOtherHealOptionsOnResume(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("run");
        String[] heal = {"--heal", "--heal-tokens", "128", "--heal-batch", "2", "--heal-seq-len", "64", "--heal-rank", "4", "--heal-heldout-samples", "8"};
        CliTest.Run r = sweep(out, "0,0.2", heal);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("6 of 6 points") && r.out().contains("2 healed"), r.out());
        assertTrue(r.err().contains("angular 0.2 (n=1) healed") && r.err().contains("healed 128 tokens"), r.err());
        List<String> lines = Files.readAllLines(out.resolve("results.jsonl"));
        assertTrue(lines.get(3).contains("\"healed\":true") && lines.get(3).contains("\"heal\":{\"tokens\":128,\"steps\":1"), lines.get(3));
        assertTrue(Files.readString(out.resolve("run.json")).contains("stories260K-train-64.jsonl"), "heals on the calibration text by default");
        List<String> more = new ArrayList<>(List.of(heal));
        more.addAll(List.of("--heal-lr", "2e-3"));
        assertOneLineError(sweep(out, "0,0.2", more.toArray(String[]::new)), "heal.lr", "refusing to mix");
        assertOneLineError(sweep(tmp.resolve("other"), "0,0.2", "--heal", "--heal-data", SweepFixture.HELDOUT.toString()), "--loss-data",
                "would train on the text it evaluates");
    }

    @Test
    void sparkWithoutTheSparkModuleIsRefusedInOneLine(@TempDir Path tmp) {
        Path out = tmp.resolve("run");
        assertOneLineError(sweep(out, "0", "--spark", "local[2]"), "--spark", "bash scripts/build_spark.sh");
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void otherOptionsOnAnExistingRunAreRefused(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("run");
        assertEquals(0, sweep(out, "0").code());
        Map<String, byte[]> before = SweepFixture.snapshot(out);
        assertOneLineError(sweep(out, "0,0.2"), out.resolve("run.json").toString(), "fractions", "refusing to mix");
        Map<String, byte[]> after = SweepFixture.snapshot(out);
        assertEquals(before.keySet(), after.keySet());
        before.forEach((name, bytes) -> assertArrayEquals(bytes, after.get(name), name));
    }

    @Test
    void emptyRangeAndAFractionRemovingEveryLayerAreRefused(@TempDir Path tmp) {
        Path out = tmp.resolve("run");
        assertOneLineError(sweep(out, "0.5:0.2:0.1"), "--fractions", "empty range");
        assertOneLineError(sweep(out, "0:0.9:0.3"), "0.9 of 5 layers", "removes every layer");
        assertOneLineError(sweep(out, "0", "--strategies", "angular,nope"), "nope", "unknown");
        assertFalse(Files.exists(out));
    }
}
