package dev.shallow.bench;

/**
 * Throughput of one workload on one engine. {@code estimated}: not run, but projected (see {@code note});
 * then {@code seconds} and {@code runs} are 0.
 */
public record Measurement(double tokensPerSecond, double seconds, int runs, boolean estimated, String note) {
    public static Measurement measured(int tokens, BestOf.Result r) {
        return new Measurement(tokens / r.seconds(), r.seconds(), r.runs(), false, null);
    }
}
