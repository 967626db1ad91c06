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

    /**
     * The fastest of each of two jobs timed alternately (a, b, a, b, ...) after {@code warmUp}, so that a change in the
     * machine's load during the runs affects both alike; at most {@code repeats} pairs, repeated only within the budget.
     */
    static Result[] alternating(Runnable warmUp, Runnable a, Runnable b, int repeats, double budgetSeconds) {
        warmUp.run();
        double bestA = Double.POSITIVE_INFINITY, bestB = Double.POSITIVE_INFINITY, spent = 0;
        int runs = 0;
        while (runs < Math.max(1, repeats) && (runs == 0 || spent < budgetSeconds)) {
            double sa = seconds(a), sb = seconds(b);
            bestA = Math.min(bestA, sa);
            bestB = Math.min(bestB, sb);
            spent += sa + sb;
            runs++;
        }
        return new Result[]{new Result(bestA, runs), new Result(bestB, runs)};
    }

    static double seconds(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e9;
    }
}
