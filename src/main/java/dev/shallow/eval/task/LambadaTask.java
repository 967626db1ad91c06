package dev.shallow.eval.task;

import dev.shallow.ShallowException;
import dev.shallow.data.DocumentSource;
import dev.shallow.data.DocumentSource.JsonLine;
import dev.shallow.eval.Aggregation;
import dev.shallow.eval.Metric;
import dev.shallow.eval.Request;
import dev.shallow.eval.Response;
import dev.shallow.eval.Sample;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * lm-evaluation-harness {@code lambada_openai} ({@code lm_eval/tasks/lambada/lambada_openai.yaml}), zero-shot, on
 * OpenAI's {@code lambada_test.jsonl} ({@code {"text"}} rows): log P(" " + last word | the text before it).
 * Metrics: {@code perplexity} = exp(-mean log-likelihood) and {@code acc} = share of passages whose last word is
 * the greedy continuation.
 */
public final class LambadaTask extends DocumentTask<LambadaTask.Passage> {
    public static final String NAME = "lambada_openai";

    /**
     * A passage and the harness's split of it: context = {@code text.split(' ')[:-1]} joined by ' ' (doc_to_text),
     * target = ' ' + {@code text.split(' ')[-1]} (doc_to_target), i.e. the cut is at the last space.
     */
    public record Passage(String text, String context, String target) {
        static Passage of(JsonLine row) {
            String text = row.text("text");
            int cut = text.lastIndexOf(' ');
            if (cut < 0) throw row.error("\"text\" has no space: no context before a last word");
            if (cut == text.length() - 1) throw row.error("\"text\" ends with a space: no last word");
            return new Passage(text, text.substring(0, cut), text.substring(cut));
        }
    }

    private LambadaTask(Path file, List<Passage> passages) {
        super(NAME, 0, passages, List.of(file));
    }

    /** Reads and checks every row of {@code file}. */
    public static LambadaTask load(Path file) {
        List<Passage> passages = DocumentSource.jsonLines(file, Passage::of);
        if (passages.isEmpty()) throw ShallowException.at(file, "holds no rows");
        return new LambadaTask(file, passages);
    }

    @Override
    public List<Request> requests(int doc) {
        Passage p = document(doc);
        return List.of(new Request.Loglikelihood(p.context(), p.target()));
    }

    /** The harness's loglikelihood process_results: perplexity takes the log-likelihood, acc is_greedy. */
    @Override
    public Map<String, Sample> score(int doc, List<Response> responses) {
        Response.Loglikelihood r = SingleResponse.of(responses, Response.Loglikelihood.class);
        return Map.of("perplexity", Sample.of(r.logLikelihood()), "acc", Sample.of(r.isGreedy() ? 1 : 0));
    }

    @Override
    public List<Metric> metrics() {
        return List.of(new Metric("perplexity", Aggregation.PERPLEXITY, false), new Metric("acc", Aggregation.MEAN, true));
    }

    @Override
    public Map<String, Object> describe(int doc) {
        Passage p = document(doc);
        return fields("text", p.text(), "target", p.target());
    }
}
