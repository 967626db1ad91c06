package dev.shallow.eval;

import dev.shallow.Shared;
import dev.shallow.eval.task.TaskRegistry;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** --log-samples lines keep one key order from run to run: the task's metric order, whatever order its samples map has. */
class SamplesLogTest {
    @Test
    void metricKeysFollowTheTasksMetricOrder() {
        Task task = TaskRegistry.resolve(List.of("lambada_openai"), new TaskOptions(Shared.root().resolve("data"), TaskOptions.DEFAULT_SHOTS, 1234),
                null, "text").tasks().getFirst();
        List<String> metrics = task.metrics().stream().map(Metric::name).toList();
        Map<String, Sample> reversed = new LinkedHashMap<>();
        for (String m : metrics.reversed()) reversed.put(m, Sample.of(1));
        Evaluator.DocResult doc = new Evaluator.DocResult(0, List.of(), List.of(), reversed);
        List<String> keys = new ArrayList<>();
        ResultsJson.sample(task, doc).fieldNames().forEachRemaining(keys::add);
        assertEquals(metrics, keys.subList(keys.size() - metrics.size(), keys.size()));
    }
}
