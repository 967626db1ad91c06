package dev.shallow.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.eval.Aggregation;
import dev.shallow.eval.Metric;
import dev.shallow.eval.Request;
import dev.shallow.eval.Task;
import dev.shallow.eval.TaskGroup;
import dev.shallow.eval.task.TaskRegistry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The metric a sweep plots for one of the tasks or groups it was given, and that metric's random-guess level.
 *
 * @param metric the first accuracy-like metric (a mean, higher is better: acc, exact_match) of the task, else its first
 *               metric (loss, word_perplexity); a group's first metric
 * @param chance for multiple-choice accuracy, the mean over the evaluated documents of 1 / (number of choices), a group's
 *               averaged over all its documents as its score is; NaN when guessing has no fixed level (LAMBADA, loss, ...)
 */
public record TaskMetric(String task, String metric, boolean higherIsBetter, double chance) {
    /** A task's count of evaluated documents and the sum of their 1 / choices. */
    private record Guessing(int docs, double sum, boolean defined) {
    }

    /** The metric of each name in {@code names} (tasks and groups of {@code selection}), for the first {@code limit} documents (0: all). */
    public static List<TaskMetric> of(List<String> names, TaskRegistry.Selection selection, int limit) {
        Map<String, Guessing> guessing = new HashMap<>();
        Map<String, Metric> metrics = new HashMap<>();
        for (Task t : selection.tasks()) {
            guessing.put(t.name(), guessing(t, limit));
            metrics.put(t.name(), t.metrics().stream().filter(m -> m.aggregation() == Aggregation.MEAN && m.higherIsBetter()).findFirst()
                    .orElse(t.metrics().getFirst()));
        }
        for (TaskGroup g : selection.groups()) {
            int docs = 0;
            double sum = 0;
            boolean defined = true;
            for (String member : g.members()) {
                Guessing m = guessing.get(member);
                docs += m.docs();
                sum += m.sum();
                defined &= m.defined();
            }
            guessing.put(g.name(), new Guessing(docs, sum, defined));
            metrics.put(g.name(), metrics.get(g.members().getFirst()));
        }
        List<TaskMetric> out = new ArrayList<>();
        for (String name : names) {
            Guessing g = guessing.get(name);
            Metric m = metrics.get(name);
            out.add(new TaskMetric(name, m.name(), m.higherIsBetter(), g.defined() && m.name().startsWith("acc") ? g.sum() / g.docs() : Double.NaN));
        }
        return out;
    }

    /** Multiple choice: every document makes two or more log-likelihood requests, one per choice. */
    private static Guessing guessing(Task task, int limit) {
        int docs = limit == 0 ? task.size() : Math.min(limit, task.size());
        double sum = 0;
        boolean defined = true;
        for (int d = 0; d < docs; d++) {
            List<Request> requests = task.requests(d);
            defined &= requests.size() >= 2 && requests.stream().allMatch(r -> r instanceof Request.Loglikelihood);
            sum += 1.0 / requests.size();
        }
        return new Guessing(docs, sum, defined);
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("task", task);
        o.put("metric", metric);
        o.put("higher_is_better", higherIsBetter);
        if (Double.isNaN(chance)) o.putNull("chance");
        else o.put("chance", chance);
        return o;
    }

    public static TaskMetric fromJson(JsonNode o) {
        JsonNode chance = o.path("chance");
        return new TaskMetric(o.path("task").asText(), o.path("metric").asText(), o.path("higher_is_better").asBoolean(),
                chance.isNumber() ? chance.doubleValue() : Double.NaN);
    }
}
