package dev.shallow.eval;

import dev.shallow.analysis.Progress;

import java.util.List;

/**
 * What answers lm-evaluation-harness requests: a {@link TransformerLM} here, or the same on a cluster ({@link ClusterLM}).
 * Each task's requests form one list, answered as a whole (a list's forward passes, and so its float32 sums, depend on the
 * whole list), so a list gives the same numbers wherever it runs.
 */
public interface LanguageModel {
    /** The responses to each list of requests, in order; {@code phases} names each list for the progress. */
    List<List<Response>> runEach(List<List<Request>> lists, List<String> phases, Progress progress);
}
