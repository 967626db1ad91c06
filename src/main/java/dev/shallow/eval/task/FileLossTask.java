package dev.shallow.eval.task;

import dev.shallow.data.DocumentSource;
import dev.shallow.eval.Aggregation;
import dev.shallow.eval.Metric;
import dev.shallow.eval.Request;
import dev.shallow.eval.Response;
import dev.shallow.eval.Sample;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Shallow's {@code loss} task: the token-level loss of any text, one rolling log-likelihood per document of a
 * {@link DocumentSource} (JSON lines: one string field a row; plain text: documents between {@code <|endoftext|>}
 * lines). Metrics: {@code loss} = -Σ log-likelihood / Σ tokens (nats per token, pooled over documents) and
 * {@code perplexity} = exp(loss).
 */
public final class FileLossTask extends DocumentTask<String> {
    public static final String NAME = "loss";

    private FileLossTask(DocumentSource source, List<String> docs) {
        super(NAME, 0, docs, List.of(source.file()));
    }

    /** The documents of {@code source}, read and checked now. */
    public static FileLossTask of(DocumentSource source) {
        return new FileLossTask(source, source.read());
    }

    /** A file by path: {@code .jsonl} rows' string {@code field} (null: "text"), else plain text. */
    public static FileLossTask of(Path file, String field) {
        return of(DocumentSource.ofFile(file, field == null ? "text" : field));
    }

    @Override
    public List<Request> requests(int doc) {
        return List.of(new Request.Rolling(document(doc)));
    }

    /** Both metrics pool the log-likelihood over the tokens of every document. */
    @Override
    public Map<String, Sample> score(int doc, List<Response> responses) {
        Response.Rolling r = SingleResponse.of(responses, Response.Rolling.class);
        Sample pooled = new Sample(r.logLikelihood(), r.tokens());
        return Map.of("loss", pooled, "perplexity", pooled);
    }

    @Override
    public List<Metric> metrics() {
        return List.of(new Metric("loss", Aggregation.NATS_PER_TOKEN, false),
                new Metric("perplexity", Aggregation.WEIGHTED_PERPLEXITY, false));
    }

    @Override
    public Map<String, Object> describe(int doc) {
        return Map.of("text", document(doc));
    }
}
