package dev.shallow.eval.task;

import dev.shallow.eval.Aggregation;
import dev.shallow.eval.Metric;
import dev.shallow.eval.Request;
import dev.shallow.eval.Response;
import dev.shallow.eval.Sample;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A greedy-generation task (the harness's {@code generate_until}) from (context, expected) pairs: each document
 * asks for the greedy continuation of its context, cut before the first stop string, at most {@code maxTokens}
 * tokens. {@link #of} scores {@code exact_match} = the generation stripped equals the expected text stripped;
 * subclasses such as {@link Gsm8kTask} score it their own way.
 */
public class GenerationTask extends DocumentTask<GenerationTask.Pair> {
    /** A prompt and the text its answer should be. */
    public record Pair(String context, String expected) {
    }

    private final List<String> until;
    private final int maxTokens;

    protected GenerationTask(String name, int shots, List<Pair> pairs, List<String> until, int maxTokens, List<Path> files) {
        if (pairs.isEmpty()) throw new IllegalArgumentException(name + ": no documents");
        if (maxTokens < 1) throw new IllegalArgumentException(name + ": maxTokens must be >= 1, got " + maxTokens);
        super(name, shots, pairs, files);
        this.until = List.copyOf(until);
        this.maxTokens = maxTokens;
    }

    /** A zero-shot task scored by {@code exact_match} of the stripped texts; it reads no file. */
    public static GenerationTask of(String name, List<Pair> pairs, List<String> until, int maxTokens) {
        return new GenerationTask(name, 0, pairs, until, maxTokens, List.of());
    }

    @Override
    public List<Request> requests(int doc) {
        return List.of(new Request.Generate(document(doc).context(), until, maxTokens));
    }

    @Override
    public final Map<String, Sample> score(int doc, List<Response> responses) {
        return score(SingleResponse.of(responses, Response.Generated.class).text(), document(doc).expected());
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
        Pair p = document(doc);
        return fields("context", p.context(), "expected", p.expected());
    }
}
