package dev.shallow.eval.task;

import dev.shallow.eval.Request;
import dev.shallow.eval.Response;
import dev.shallow.eval.Sample;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.shallow.eval.task.TaskData.aggregate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class GenerationTaskTest {
    private final GenerationTask task = GenerationTask.of("copy", List.of(
            new GenerationTask.Pair("Once upon a time", ", there was a girl"),
            new GenerationTask.Pair("Lily wanted to", " play")), List.of("\n", "."), 8);

    @Test
    void oneGenerateRequestPerPair() {
        assertEquals(2, task.size());
        assertEquals(List.of(new Request.Generate("Once upon a time", List.of("\n", "."), 8)), task.requests(0));
        assertEquals(Map.of("context", "Lily wanted to", "expected", " play"), task.describe(1));
        assertEquals(List.of(), task.files());
    }

    @Test
    void exactMatchComparesStrippedTexts() {
        List<Map<String, Sample>> samples = List.of(task.score(0, List.of(new Response.Generated(", there was a girl \n"))),
                task.score(1, List.of(new Response.Generated(" play outside"))));
        assertEquals(List.of(1.0, 0.0), samples.stream().map(s -> s.get("exact_match").value()).toList());
        assertEquals(0.5, aggregate(task, "exact_match", samples), 0);
    }

    @Test
    void wrongResponsesAndEmptyTasksAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> task.score(0, List.of(new Response.Rolling(-1, 1))));
        assertThrows(IllegalArgumentException.class, () -> task.score(0, List.of()));
        assertThrows(IllegalArgumentException.class, () -> GenerationTask.of("none", List.of(), List.of(), 8));
        assertThrows(IllegalArgumentException.class, () -> GenerationTask.of("zero", List.of(new GenerationTask.Pair("a", "b")), List.of(), 0));
    }
}
