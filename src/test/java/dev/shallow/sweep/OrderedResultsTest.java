package dev.shallow.sweep;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Results finishing in any order, some twice (a retried task), are appended in plan order, each line once. */
class OrderedResultsTest {
    /** angular and random at 0 and 0.2 of 5 layers, then angular at 0.4: lines 0 and 1 remove nothing (one evaluation). */
    private static final List<Sweep.Line> PLAN = List.of(line("angular", "0", List.of()), line("random", "0", List.of()),
            line("angular", "0.2", List.of(2)), line("random", "0.2", List.of(3)), line("angular", "0.4", List.of(2, 3)));

    private static Sweep.Line line(String strategy, String fraction, List<Integer> removed) {
        return new Sweep.Line(new Point(strategy, fraction, removed.size(), removed), null);
    }

    private static PointResult evaluated(int index) {
        return new PointResult(PLAN.get(index).point(), null, List.of(new TaskScore("loss", "loss", index + 0.5, 0.1)), 1);
    }

    @Test
    void outOfOrderAndRepeatedResultsAreWrittenInPlanOrderOnce(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("results.jsonl");
        OrderedResults out = new OrderedResults(file, PLAN, 0, new HashMap<>(), Integer.MAX_VALUE, 5, SweepFixture.options(), SweepProgress.NONE);
        assertEquals(List.of(0, 2, 3, 4), out.toEvaluate(), "line 1 shares line 0's evaluation");
        assertTrue(out.finished(3, evaluated(3)));
        assertFalse(Files.exists(file), "line 3 waits for lines 0 to 2");
        assertTrue(out.finished(0, evaluated(0)));
        assertEquals(2, ResultsFile.read(file).size(), "line 0, and line 1 sharing its evaluation");
        assertTrue(out.finished(3, evaluated(3)), "a retried task's second result");
        assertTrue(out.finished(0, evaluated(0)));
        assertTrue(out.finished(4, evaluated(4)));
        assertEquals(2, ResultsFile.read(file).size());
        assertFalse(out.finished(2, evaluated(2)), "every line is written");
        List<PointResult> lines = ResultsFile.read(file);
        assertEquals(PLAN.stream().map(Sweep.Line::point).toList(), lines.stream().map(PointResult::point).toList());
        assertEquals(PLAN.getFirst().point(), lines.get(1).reusedFrom());
        assertEquals(lines.getFirst().scores(), lines.get(1).scores());
        for (int i : List.of(0, 2, 3, 4)) {
            assertNull(lines.get(i).reusedFrom());
            assertEquals(evaluated(i).scores(), lines.get(i).scores());
        }
    }

    @Test
    void stopsAfterTheLinesAskedForAndResumesAfterThem(@TempDir Path tmp) {
        Path file = tmp.resolve("results.jsonl");
        OrderedResults first = new OrderedResults(file, PLAN, 0, new HashMap<>(), 3, 5, SweepFixture.options(), SweepProgress.NONE);
        first.finished(0, evaluated(0));
        assertFalse(first.finished(2, evaluated(2)), "three lines written: no more wanted");
        assertFalse(first.finished(3, evaluated(3)));
        assertEquals(3, ResultsFile.read(file).size());
        List<PointResult> done = ResultsFile.read(file);
        var evaluatedSoFar = new HashMap<Sweep.Line.Key, PointResult>();
        for (int i : List.of(0, 2)) evaluatedSoFar.put(PLAN.get(i).key(), done.get(i));
        OrderedResults resumed = new OrderedResults(file, PLAN, 3, evaluatedSoFar, Integer.MAX_VALUE, 5, SweepFixture.options(), SweepProgress.NONE);
        assertEquals(List.of(3, 4), new ArrayList<>(resumed.toEvaluate()));
        resumed.finished(4, evaluated(4));
        resumed.finished(3, evaluated(3));
        assertEquals(PLAN.stream().map(Sweep.Line::point).toList(), ResultsFile.read(file).stream().map(PointResult::point).toList());
    }
}
