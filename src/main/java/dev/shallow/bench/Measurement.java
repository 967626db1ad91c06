package dev.shallow.bench;

/**
 * Throughput of one workload on one engine: tokens/s, or requests/s for the eval workload ({@link BenchPart#unit}).
 * {@code estimated}: not run, but projected (see {@code note}); then {@code seconds} and {@code runs} are 0.
 */
public record Measurement(double perSecond, double seconds, int runs, boolean estimated, String note) {
    /** {@code count} tokens (or requests) done in the fastest run of {@code r}. */
    public static Measurement measured(int count, BestOf.Result r) {
        return new Measurement(count / r.seconds(), r.seconds(), r.runs(), false, null);
    }

    /** The faster of two measurements of the same work, with the runs of both. */
    public static Measurement faster(Measurement a, Measurement b) {
        Measurement f = b.perSecond > a.perSecond ? b : a;
        return new Measurement(f.perSecond, f.seconds, a.runs + b.runs, false, null);
    }
}
