package dev.shallow.eval.task;

import dev.shallow.ShallowException;
import dev.shallow.Shared;

import dev.shallow.eval.Metric;
import dev.shallow.eval.Sample;
import dev.shallow.eval.Task;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared data folders the task tests read, and the check every input error must pass. */
final class TaskData {
    private TaskData() {
    }

    static Path data() {
        return Shared.root().resolve("data");
    }

    static Path fixtures() {
        return data().resolve("fixtures");
    }

    static Path bad(String name) {
        return fixtures().resolve("bad").resolve(name);
    }

    /** The error is one line and mentions every part (file name, line, problem). */
    static ShallowException assertError(Runnable r, String... parts) {
        ShallowException e = assertThrows(ShallowException.class, r::run);
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should mention " + p);
        return e;
    }

    /** The task's aggregate of {@code metric} over the documents' samples. */
    static double aggregate(Task task, String metric, List<Map<String, Sample>> samples) {
        Metric m = task.metrics().stream().filter(x -> x.name().equals(metric)).findFirst().orElseThrow();
        return m.aggregation().aggregate(samples.stream().map(s -> s.get(metric)).toList());
    }
}
