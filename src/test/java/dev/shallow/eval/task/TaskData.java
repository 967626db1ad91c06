package dev.shallow.eval.task;

import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.eval.Metric;
import dev.shallow.eval.Request;
import dev.shallow.eval.Response;
import dev.shallow.eval.Sample;
import dev.shallow.eval.Task;
import dev.shallow.eval.TaskOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Test helpers: the shared data folders, building a task, reading its requests and gold answer, and the check every input error must pass. */
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

    static TaskOptions options(Path dir, int shots) {
        return new TaskOptions(dir, shots, 1234);
    }

    /** The one task a name builds from the fixtures with the default shots. */
    static Task fixture(String name) {
        List<Task> tasks = MultipleChoiceTasks.build(name, options(fixtures(), TaskOptions.DEFAULT_SHOTS));
        assertEquals(1, tasks.size());
        return tasks.getFirst();
    }

    static List<Request.Loglikelihood> requests(Task task, int doc) {
        return task.requests(doc).stream().map(r -> (Request.Loglikelihood) r).toList();
    }

    /** The contexts of a document's requests. */
    static List<String> contexts(Task task, int doc) {
        return requests(task, doc).stream().map(Request.Loglikelihood::context).toList();
    }

    /** The continuations of a document's requests. */
    static List<String> continuations(Task task, int doc) {
        return requests(task, doc).stream().map(Request.Loglikelihood::continuation).toList();
    }

    /** Responses with the given log-likelihoods, none greedy. */
    static List<Response> lls(double... values) {
        List<Response> responses = new ArrayList<>();
        for (double v : values) responses.add(new Response.Loglikelihood(v, false));
        return responses;
    }

    /** The choice index the task scores as right: the one whose being most likely gives acc 1. */
    static int gold(Task task, int doc) {
        int n = task.requests(doc).size();
        for (int i = 0; i < n; i++) {
            double[] values = new double[n];
            Arrays.fill(values, -10);
            values[i] = -1;
            if (task.score(doc, lls(values)).get("acc").value() == 1) return i;
        }
        throw new AssertionError("no choice scores acc 1");
    }
}
