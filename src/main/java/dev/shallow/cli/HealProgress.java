package dev.shallow.cli;

import dev.shallow.heal.Healer;

import java.io.PrintStream;

/**
 * A healing run's progress on stderr: each phase on its own line, and training on one line redrawn at
 * most twice a second: step, tokens, tokens/s (of this run), the mean loss of the steps since the last
 * redraw (the distillation loss with a teacher), the learning rate and the ETA.
 */
final class HealProgress implements Healer.Listener {
    private final PrintStream err;
    private final long tokensPerStep;
    private final String lossName;
    private long start, lastDraw;
    private int firstStep = -1;
    private double lossSum;
    private int lossCount;
    private boolean drawing;

    /** {@code lossName}: what the training loss is ("loss", "KD loss"). */
    HealProgress(PrintStream err, long tokensPerStep, String lossName) {
        this.err = err;
        this.lossName = lossName;
        this.tokensPerStep = tokensPerStep;
    }

    @Override
    public void phase(String what) {
        finish();
        err.println(what + " ...");
        start = System.nanoTime(); // the last phase before the steps is training's
        firstStep = -1;
    }

    @Override
    public void step(int done, int steps, double loss, double lr) {
        long now = System.nanoTime();
        if (firstStep < 0) firstStep = done - 1;
        lossSum += loss;
        lossCount++;
        if (done < steps && now - lastDraw < 500_000_000L) return;
        lastDraw = now;
        double seconds = (now - start) / 1e9, rate = (done - firstStep) * tokensPerStep / seconds;
        double eta = (steps - done) * tokensPerStep / rate;
        err.printf("\rstep %,d / %,d  %,d / %,d tokens (%3.0f%%)  %,.0f tok/s  %s %.4f  lr %.2e  ETA %s   ", done, steps,
                done * tokensPerStep, steps * tokensPerStep, 100.0 * done / steps, rate, lossName, lossSum / lossCount, lr, ProgressLine.duration(eta));
        err.flush();
        drawing = true;
        lossSum = 0;
        lossCount = 0;
    }

    /** Ends the training line, if one is drawn. */
    void finish() {
        if (drawing) err.println();
        drawing = false;
    }
}
