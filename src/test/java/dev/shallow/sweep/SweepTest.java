package dev.shallow.sweep;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.model.Model;
import dev.shallow.tensor.Matmul;
import dev.shallow.tensor.MatmulPrecision;
import dev.shallow.prune.Strategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sweep runner: resuming after an interruption (and a half-written line), shared evaluations, and refused inputs. */
class SweepTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a sweep told its progress listener: analysis phases seen, and the (done, total) of each finished point. */
    private static final class Recorder implements SweepProgress {
        final List<String> phases = new ArrayList<>();
        final List<int[]> finished = new ArrayList<>();

        @Override
        public void update(String phase, long doneTokens, long totalTokens) {
            if (!phases.contains(phase)) phases.add(phase);
        }

        @Override
        public void starting(Point point, HealMethod healing, Status status) {
        }

        @Override
        public void finished(PointResult result, Status status) {
            finished.add(new int[]{status.done(), status.total()});
        }
    }

    @Test
    void interruptedTwiceThenResumedEqualsOneUninterruptedRun(@TempDir Path tmp) throws IOException {
        SweepOptions options = SweepFixture.options();
        Path whole = tmp.resolve("whole"), parts = tmp.resolve("parts");
        try (Model model = Model.load(SweepFixture.MODEL)) {
            SweepRun expected = Sweep.run(model, options, whole, SweepProgress.NONE);
            assertEquals(12, expected.points().size());

            Recorder first = new Recorder();
            Sweep.run(model, options, parts, first, 4);
            assertEquals(4, lines(parts).size());
            assertTrue(first.phases.contains("ablation"), "the sweep runs the single-layer ablation: " + first.phases);
            // killed in the middle of appending the fifth point
            Files.writeString(parts.resolve(RunDirectory.RESULTS), "{\"strategy\":\"angular\",\"fraction\":\"0.", StandardOpenOption.APPEND);
            Recorder second = new Recorder();
            Sweep.run(model, options, parts, second, 3);
            assertEquals(7, lines(parts).size(), "the half-written line is dropped, then three more points");
            assertFalse(second.phases.contains("pass"), "a resumed sweep reads its analysis back: " + second.phases);
            assertArrayEquals(new int[]{5, 12}, second.finished.getFirst());
            Recorder third = new Recorder();
            SweepRun resumed = Sweep.run(model, options, parts, third);
            assertEquals(5, third.finished.size());
            assertEquals(12, resumed.points().size());
            Sweep.run(model, options, parts, third);
            assertEquals(5, third.finished.size(), "a finished sweep has nothing left to run");
        }
        assertEquals(withoutTimings(lines(whole)), withoutTimings(lines(parts)));
        assertArrayEquals(Files.readAllBytes(whole.resolve(RunDirectory.ANALYSIS)), Files.readAllBytes(parts.resolve(RunDirectory.ANALYSIS)));
        assertArrayEquals(Files.readAllBytes(whole.resolve(RunDirectory.GENERATIONS)), Files.readAllBytes(parts.resolve(RunDirectory.GENERATIONS)));
    }

    @Test
    void pointsRemovingTheSameLayersShareOneEvaluation(@TempDir Path tmp) {
        SweepRun run;
        try (Model model = Model.load(SweepFixture.MODEL)) {
            run = Sweep.run(model, SweepFixture.options(), tmp.resolve("run"), SweepProgress.NONE);
        }
        List<PointResult> points = run.points();
        assertEquals(List.of("angular", "sequential", "random"), points.subList(0, 3).stream().map(p -> p.point().strategy()).toList());
        assertNull(points.getFirst().reusedFrom());
        for (PointResult p : points.subList(1, 3)) {
            assertEquals(points.getFirst().point(), p.reusedFrom(), "the unpruned model is evaluated once");
            assertEquals(points.getFirst().scores(), p.scores());
            assertEquals(0, p.seconds());
        }
        for (PointResult p : points) {
            assertFalse(p.healed());
            assertEquals(Math.round(Double.parseDouble(p.point().fraction()) * 5), p.point().n());
            PointResult first = points.stream().filter(q -> q.point().removed().equals(p.point().removed())).findFirst().orElseThrow();
            assertEquals(first == p ? null : first.point(), p.reusedFrom());
            assertTrue(p.score("loss", "loss").isPresent() && p.score("arc_easy", "acc").isPresent() && p.score("lambada_openai", "acc").isPresent());
        }
        assertEquals(List.of(0), points.get(4).point().removed(), "sequential at 0.2");
        assertEquals(List.of(0, 1, 2), points.get(10).point().removed(), "sequential at 0.6");
        double baseline = points.getFirst().score("loss", "loss").orElseThrow().value();
        assertTrue(baseline > 0.5 && baseline < 1.5, "stories260K's held-out loss: " + baseline);
        assertEquals(3, run.generations().stream().map(Generation::n).distinct().count(), "levels 0, 0.25 and 0.5 of 5 layers: n = 0, 1, 3");
        assertTrue(run.generations().getFirst().text().startsWith("Once upon a time"), run.generations().getFirst().text());
    }

    @Test
    void otherOptionsAreRefusedAndNothingChanges(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("run");
        try (Model model = Model.load(SweepFixture.MODEL)) {
            Sweep.run(model, SweepFixture.options(), dir, SweepProgress.NONE, 2);
            Map<String, byte[]> before = SweepFixture.snapshot(dir);
            SweepOptions otherLimit = SweepFixture.options(List.of(Strategy.ANGULAR, Strategy.SEQUENTIAL, Strategy.RANDOM), "0:0.6:0.2", 4);
            ShallowException e = assertThrows(ShallowException.class, () -> Sweep.run(model, otherLimit, dir, SweepProgress.NONE));
            assertTrue(e.getMessage().startsWith(dir.resolve(RunDirectory.RUN) + ": "), e.getMessage());
            assertTrue(e.getMessage().contains("limit: 5 recorded, 4 given"), e.getMessage());
            SweepOptions otherStrategies = SweepFixture.options(List.of(Strategy.ANGULAR, Strategy.RANDOM), "0:0.6:0.2", 5);
            e = assertThrows(ShallowException.class, () -> Sweep.run(model, otherStrategies, dir, SweepProgress.NONE));
            assertTrue(e.getMessage().contains("strategies"), e.getMessage());
            // begun in f32, the sweep is not resumed with --precision bf16 (its points would mix two precisions)
            Matmul.setPrecision(MatmulPrecision.BF16);
            try {
                e = assertThrows(ShallowException.class, () -> Sweep.run(model, SweepFixture.options(), dir, SweepProgress.NONE));
                assertTrue(e.getMessage().contains("precision: not recorded, \"bf16\" given"), e.getMessage());
            } finally {
                Matmul.restoreDefaults();
            }
            assertSame(before, SweepFixture.snapshot(dir));
        }
        try (Model other = Model.load(Shared.model("stories-16L"))) {
            Map<String, byte[]> before = SweepFixture.snapshot(dir);
            ShallowException e = assertThrows(ShallowException.class, () -> Sweep.run(other, SweepFixture.options(), dir, SweepProgress.NONE));
            assertTrue(e.getMessage().contains("fingerprint") && e.getMessage().contains("stories-16L"), e.getMessage());
            assertSame(before, SweepFixture.snapshot(dir));
        }
    }

    @Test
    void aFractionRemovingEveryLayerIsRefusedBeforeAnythingIsWritten(@TempDir Path tmp) {
        Path dir = tmp.resolve("run");
        try (Model model = Model.load(SweepFixture.MODEL)) {
            SweepOptions options = SweepFixture.options(List.of(Strategy.ANGULAR), "0,0.9", 5);
            ShallowException e = assertThrows(ShallowException.class, () -> Sweep.run(model, options, dir, SweepProgress.NONE));
            assertTrue(e.getMessage().contains("removes every layer"), e.getMessage());
        }
        assertFalse(Files.exists(dir));
    }

    @Test
    void aNonEmptyDirectoryThatIsNoSweepIsRefused(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("notes.txt"), "mine");
        try (Model model = Model.load(SweepFixture.MODEL)) {
            ShallowException e = assertThrows(ShallowException.class, () -> Sweep.run(model, SweepFixture.options(), tmp, SweepProgress.NONE));
            assertTrue(e.getMessage().contains("not a sweep directory"), e.getMessage());
        }
        assertEquals(List.of("notes.txt"), Files.list(tmp).map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void aPointLineThatDoesNotMatchThePlanIsRefused(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("run");
        try (Model model = Model.load(SweepFixture.MODEL)) {
            Sweep.run(model, SweepFixture.options(), dir, SweepProgress.NONE, 1);
            Path results = dir.resolve(RunDirectory.RESULTS);
            Files.writeString(results, Files.readString(results).replace("\"strategy\":\"angular\"", "\"strategy\":\"bi\""));
            ShallowException e = assertThrows(ShallowException.class, () -> Sweep.run(model, SweepFixture.options(), dir, SweepProgress.NONE));
            assertTrue(e.getMessage().contains("line 1 is bi 0 (n=0)"), e.getMessage());
        }
    }

    private static List<String> lines(Path dir) throws IOException {
        return Files.readAllLines(dir.resolve(RunDirectory.RESULTS));
    }

    /** Each line with its "seconds" (wall time) taken out. */
    private static List<String> withoutTimings(List<String> lines) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            ObjectNode o = (ObjectNode) JSON.readTree(line);
            o.remove("seconds");
            out.add(o.toString());
        }
        return out;
    }

    private static void assertSame(Map<String, byte[]> before, Map<String, byte[]> after) {
        assertEquals(before.keySet(), after.keySet());
        before.forEach((name, bytes) -> assertArrayEquals(bytes, after.get(name), name));
    }
}
