package dev.shallow.eval.task;

import dev.shallow.eval.Aggregation;
import dev.shallow.eval.Metric;
import dev.shallow.eval.Request;
import dev.shallow.eval.Response;
import dev.shallow.eval.Sample;
import dev.shallow.eval.Task;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A multiple-choice task from (context, choices, gold) items, scored the harness's way
 * ({@code lm_eval/api/task.py}, multiple_choice): one log-likelihood request per choice, {@code acc} = the most
 * likely choice (the first of equals, as numpy's argmax) is the gold one. Reads no file.
 */
public final class ChoiceTask implements Task {
    /** A context, its continuations exactly as scored (include any delimiter, e.g. " yes"), and the right one's index. */
    public record Item(String context, List<String> choices, int gold) {
        public Item {
            choices = List.copyOf(choices);
            if (gold < 0 || gold >= choices.size()) {
                throw new IllegalArgumentException("gold " + gold + " is not an index of the " + choices.size() + " choices");
            }
        }
    }

    private final String name;
    private final List<Item> items;

    private ChoiceTask(String name, List<Item> items) {
        if (items.isEmpty()) throw new IllegalArgumentException(name + ": no documents");
        this.name = name;
        this.items = List.copyOf(items);
    }

    public static ChoiceTask of(String name, List<Item> items) {
        return new ChoiceTask(name, items);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int shots() {
        return 0;
    }

    @Override
    public int size() {
        return items.size();
    }

    @Override
    public List<Request> requests(int doc) {
        Item item = items.get(doc);
        return item.choices().stream().<Request>map(c -> new Request.Loglikelihood(item.context(), c)).toList();
    }

    @Override
    public Map<String, Sample> score(int doc, List<Response> responses) {
        Item item = items.get(doc);
        if (responses.size() != item.choices().size()) {
            throw new IllegalArgumentException("expected " + item.choices().size() + " responses, got " + responses.size());
        }
        int best = -1;
        double bestLogLikelihood = 0;
        for (int i = 0; i < responses.size(); i++) {
            if (!(responses.get(i) instanceof Response.Loglikelihood r)) {
                throw new IllegalArgumentException("expected Loglikelihood responses, got " + responses.get(i));
            }
            if (best < 0 || r.logLikelihood() > bestLogLikelihood) {
                best = i;
                bestLogLikelihood = r.logLikelihood();
            }
        }
        return Map.of("acc", Sample.of(best == item.gold() ? 1 : 0));
    }

    @Override
    public List<Metric> metrics() {
        return List.of(new Metric("acc", Aggregation.MEAN, true));
    }

    @Override
    public Map<String, Object> describe(int doc) {
        Item item = items.get(doc);
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("context", item.context());
        fields.put("choices", item.choices());
        fields.put("gold", item.gold());
        return fields;
    }

    @Override
    public List<Path> files() {
        return List.of();
    }
}
