package dev.shallow.eval.task;

import dev.shallow.eval.Aggregation;
import dev.shallow.eval.Metric;
import dev.shallow.eval.Request;
import dev.shallow.eval.Response;
import dev.shallow.eval.Sample;
import dev.shallow.eval.Task;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.shallow.eval.task.TaskData.aggregate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ChoiceTaskTest {
    private final Task task = ChoiceTask.of("toy", List.of(
            new ChoiceTask.Item("The sky is", List.of(" blue", " green", " loud"), 0),
            new ChoiceTask.Item("Two and two make", List.of(" three", " four"), 1)));

    @Test
    void aZeroShotTaskReportingAccOnlyThatReadsNoFile() {
        assertEquals("toy", task.name());
        assertEquals(0, task.shots());
        assertEquals(2, task.size());
        assertEquals(List.of(), task.files());
        assertEquals(List.of(new Metric("acc", Aggregation.MEAN, true)), task.metrics());
        assertEquals(List.of("acc"), List.copyOf(task.score(0, List.of(ll(-1), ll(-2), ll(-3))).keySet()));
        Map<String, Object> doc = task.describe(0);
        assertEquals(List.of("context", "choices", "gold"), List.copyOf(doc.keySet()));
        assertEquals(List.of("The sky is", List.of(" blue", " green", " loud"), 0), List.copyOf(doc.values()));
    }

    @Test
    void oneLoglikelihoodRequestPerChoice() {
        assertEquals(List.of(new Request.Loglikelihood("The sky is", " blue"), new Request.Loglikelihood("The sky is", " green"),
                new Request.Loglikelihood("The sky is", " loud")), task.requests(0));
        assertEquals(List.of(" three", " four"), task.describe(1).get("choices"));
    }

    @Test
    void accIsTheArgmaxFirstOnTies() {
        List<Map<String, Sample>> samples = List.of(
                task.score(0, List.of(ll(-1), ll(-3), ll(-1))), // tie: the first, which is gold
                task.score(1, List.of(ll(-2), ll(-5))));
        assertEquals(List.of(1.0, 0.0), samples.stream().map(s -> s.get("acc").value()).toList());
        assertEquals(0.5, aggregate(task, "acc", samples), 0);
    }

    @Test
    void badItemsAndResponsesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new ChoiceTask.Item("x", List.of("a", "b"), 2));
        assertThrows(IllegalArgumentException.class, () -> new ChoiceTask.Item("x", List.of("a", "b"), -1));
        assertThrows(IllegalArgumentException.class, () -> ChoiceTask.of("none", List.of()));
        assertThrows(IllegalArgumentException.class, () -> task.score(1, List.of(ll(-1))));
        assertThrows(IllegalArgumentException.class, () -> task.score(1, List.of(ll(-1), new Response.Generated("four"))));
    }

    private static Response ll(double logLikelihood) {
        return new Response.Loglikelihood(logLikelihood, false);
    }
}
