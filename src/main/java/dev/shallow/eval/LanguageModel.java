package dev.shallow.eval;

import dev.shallow.analysis.Progress;

import java.util.List;

/**
 * What answers lm-evaluation-harness requests: a {@link TransformerLM} here, or the same on a cluster ({@link ClusterLM}).
 * Each task's requests form one list. A log-likelihood is the one its request gets scored alone, bit for bit (on the Vector
 * API), so a list gives the same numbers wherever and in whatever shards it runs; a generation depends on the prompts that
 * share its batch, so a list with generations is answered whole.
 */
public interface LanguageModel {
    /** The responses to each list of requests, in order; {@code phases} names each list for the progress. */
    List<List<Response>> runEach(List<List<Request>> lists, List<String> phases, Progress progress);
}
