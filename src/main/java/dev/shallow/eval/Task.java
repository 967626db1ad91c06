package dev.shallow.eval;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * An evaluation task the way lm-evaluation-harness defines one: documents (data), the requests each
 * document makes (prompt), and how their responses score (metric). Documents are loaded and validated
 * when the task is built, so a malformed file fails before any model work.
 */
public interface Task {
    /** The harness's task name, e.g. "arc_easy", "mmlu_astronomy", "wikitext". */
    String name();

    /** Few-shot examples in each prompt (the harness's "n-shot"). */
    int shots();

    /** Number of documents; {@code --limit N} evaluates documents 0..N-1. */
    int size();

    /** The requests of document {@code doc}, in a fixed order (for multiple choice: one per choice). */
    List<Request> requests(int doc);

    /** Metric name to this document's sample, from the responses to {@link #requests(int)} in the same order. */
    Map<String, Sample> score(int doc, List<Response> responses);

    /** The metrics of {@link #score}, in report order. */
    List<Metric> metrics();

    /** Document {@code doc}'s fields for {@code --log-samples} (String, Number, Boolean, List or Map values). */
    Map<String, Object> describe(int doc);

    /** The data files read. */
    List<Path> files();
}
