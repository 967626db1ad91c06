package dev.shallow.eval.task;

import dev.shallow.ShallowException;
import dev.shallow.data.DocumentSource;
import dev.shallow.data.PythonText;
import dev.shallow.eval.Aggregation;
import dev.shallow.eval.Metric;
import dev.shallow.eval.Request;
import dev.shallow.eval.Response;
import dev.shallow.eval.Sample;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * lm-evaluation-harness {@code wikitext} ({@code lm_eval/tasks/wikitext/wikitext.yaml}, {@code preprocess_wikitext.py})
 * on WikiText-2 raw {@code wiki.test.raw}: one document per page of EleutherAI/wikitext_document_level
 * ({@link DocumentSource#wikiPages}), scored by the rolling log-likelihood of its detokenized text; words and bytes
 * are counted on the original page. Metrics {@code word_perplexity}, {@code byte_perplexity}, {@code bits_per_byte}.
 */
public final class WikiTextTask extends DocumentTask<WikiTextTask.Page> {
    public static final String NAME = "wikitext";

    /**
     * A page, the text scored ({@code wikitext_detokenizer(page)}) and the page's counts as process_results takes
     * them: words = {@code len(re.split(r"\s+", page))}, bytes = {@code len(page.encode("utf-8"))}.
     */
    public record Page(String page, String text, int words, int bytes) {
        static Page of(String page) {
            return new Page(page, WikiTextDetokenizer.detokenize(page), PythonText.whitespaceSplitCount(page),
                    page.getBytes(StandardCharsets.UTF_8).length);
        }
    }

    private WikiTextTask(Path file, List<Page> pages) {
        super(NAME, 0, pages, List.of(file));
    }

    public static WikiTextTask load(Path file) {
        String text = DocumentSource.utf8(file);
        if (PythonText.strip(text).isEmpty()) throw ShallowException.at(file, "holds no text");
        return new WikiTextTask(file, DocumentSource.wikiPages(text).stream().map(Page::of).toList());
    }

    @Override
    public List<Request> requests(int doc) {
        return List.of(new Request.Rolling(document(doc).text()));
    }

    /** process_results of preprocess_wikitext.py: (log-likelihood, words) and (log-likelihood, bytes) pairs. */
    @Override
    public Map<String, Sample> score(int doc, List<Response> responses) {
        double ll = SingleResponse.of(responses, Response.Rolling.class).logLikelihood();
        Page p = document(doc);
        return Map.of("word_perplexity", new Sample(ll, p.words()),
                "byte_perplexity", new Sample(ll, p.bytes()),
                "bits_per_byte", new Sample(ll, p.bytes()));
    }

    @Override
    public List<Metric> metrics() {
        return List.of(new Metric("word_perplexity", Aggregation.WEIGHTED_PERPLEXITY, false),
                new Metric("byte_perplexity", Aggregation.WEIGHTED_PERPLEXITY, false),
                new Metric("bits_per_byte", Aggregation.BITS_PER_BYTE, false));
    }

    @Override
    public Map<String, Object> describe(int doc) {
        Page p = document(doc);
        return fields("page", p.page(), "words", p.words(), "bytes", p.bytes());
    }
}
