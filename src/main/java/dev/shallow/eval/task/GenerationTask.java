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
 * A greedy-generation task (the harness's {@code generate_until}) from (context, expected) pairs: each document
 * asks for the greedy continuation of its context, cut before the first stop string, at most {@code maxTokens}
 * tokens. {@link #of} scores {@code exact_match} = the generation stripped equals the expected text stripped;
 * subclasses such as {@link Gsm8kTask} score it their own way.
 */
public class GenerationTask implements Task {
    /** A prompt and the text its answer should be. */
    public record Pair(String context, String expected) {
    }

    private final String name;
    private final int shots;
    private final List<Pair> pairs;
    private final List<String> until;
    private final int maxTokens;
    private final List<Path> files;

    protected GenerationTask(String name, int shots, List<Pair> pairs, List<String> until, int maxTokens, List<Path> files) {
        if (pairs.isEmpty()) throw new IllegalArgumentException(name + ": no documents");
        if (maxTokens < 1) throw new IllegalArgumentException(name + ": maxTokens must be >= 1, got " + maxTokens);
        this.name = name;
        this.shots = shots;
        this.pairs = List.copyOf(pairs);
        this.until = List.copyOf(until);
        this.maxTokens = maxTokens;
        this.files = List.copyOf(files);
    }

    /** A zero-shot task scored by {@code exact_match} of the stripped texts; it reads no file. */
    public static GenerationTask of(String name, List<Pair> pairs, List<String> until, int maxTokens) {
        return new GenerationTask(name, 0, pairs, until, maxTokens, List.of());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int shots() {
        return shots;
    }

    @Override
    public int size() {
        return pairs.size();
    }

    @Override
    public List<Request> requests(int doc) {
        return List.of(new Request.Generate(pairs.get(doc).context(), until, maxTokens));
    }

    @Override
    public final Map<String, Sample> score(int doc, List<Response> responses) {
        return score(SingleResponse.of(responses, Response.Generated.class).text(), pairs.get(doc).expected());
    }

    /** This task's samples for one generation and its document's expected text. */
    protected Map<String, Sample> score(String generated, String expected) {
        return Map.of("exact_match", Sample.of(generated.strip().equals(expected.strip()) ? 1 : 0));
    }

    @Override
    public List<Metric> metrics() {
        return List.of(new Metric("exact_match", Aggregation.MEAN, true));
    }

    @Override
    public Map<String, Object> describe(int doc) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("context", pairs.get(doc).context());
        fields.put("expected", pairs.get(doc).expected());
        return fields;
    }

    @Override
    public List<Path> files() {
        return files;
    }
}
