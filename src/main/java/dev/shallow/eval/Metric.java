package dev.shallow.eval;

/** A metric a task reports: its harness name ("acc", "acc_norm", "word_perplexity", ...), aggregation and direction. */
public record Metric(String name, Aggregation aggregation, boolean higherIsBetter) {
}
