package dev.shallow.bench;

import java.util.function.DoubleSupplier;

/** Warm up once, then keep the fastest of at most {@code repeats} timed runs, repeating only while within a time budget. */
final class BestOf {
    private BestOf() {
    }

    /** Fastest run in seconds, and how many timed runs there were (at least one). */
    record Result(double seconds, int runs) {
    }

    /** {@code timedRun} returns the seconds its measured part took. */
    static Result run(Runnable warmUp, DoubleSupplier timedRun, int repeats, double budgetSeconds) {
        warmUp.run();
        double best = Double.POSITIVE_INFINITY, spent = 0;
        int runs = 0;
        while (runs < Math.max(1, repeats) && (runs == 0 || spent < budgetSeconds)) {
            double s = timedRun.getAsDouble();
            best = Math.min(best, s);
            spent += s;
            runs++;
        }
        return new Result(best, runs);
    }

    static double seconds(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e9;
    }
}
