package dev.shallow.cli;

import dev.shallow.analysis.Progress;

import java.io.PrintStream;

/** Progress of a job on one stderr line: tokens (or other units) done, rate and ETA, redrawn at most twice a second. */
final class ProgressLine implements Progress {
    private final PrintStream err;
    private String phase;
    /** When the current phase began: phases run one after another, so at the previous phase's last update. */
    private long phaseStart;
    private long lastUpdate;
    private long lastDraw;
    private final java.util.Set<String> notes = new java.util.HashSet<>();

    ProgressLine(PrintStream err) {
        this.err = err;
        this.phaseStart = System.nanoTime();
    }

    @Override
    public void update(String phase, long done, long total) {
        update(phase, done, total, "tokens");
    }

    @Override
    public void update(String phase, long done, long total, String unit) {
        long now = System.nanoTime();
        if (!phase.equals(this.phase)) {
            if (this.phase != null) err.println();
            if (this.phase != null) phaseStart = lastUpdate;
            this.phase = phase;
            lastDraw = 0;
        }
        lastUpdate = now;
        if (done < total && now - lastDraw < 500_000_000L) return;
        lastDraw = now;
        err.print("\r" + status(phase, done, total, unit, (now - phaseStart) / 1e9) + "   ");
        if (done == total) err.flush();
    }

    /** "phase  done / total tokens (pct)  rate tokens/s  ETA", {@code seconds} into the phase, in {@code unit}s. */
    static String status(String phase, long done, long total, String unit, double seconds) {
        double rate = seconds > 0 ? done / seconds : 0;
        double eta = rate > 0 ? (total - done) / rate : 0;
        return String.format("%-9s %,d / %,d %s (%3.0f%%)  %,.0f %s/s  ETA %s", phase, done, total, unit, 100.0 * done / total, rate, unit, duration(eta));
    }

    /** Prints {@code message} on a line of its own, once (a repeated message, e.g. from each ablation pass, is not printed again). */
    @Override
    public void note(String message) {
        if (!notes.add(message)) return;
        if (phase != null) err.println();
        err.println(message);
        lastDraw = 0;
    }

    /** Ends the current line. */
    void finish() {
        if (phase != null) err.println();
        phase = null;
        phaseStart = System.nanoTime();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s % 3600 / 60) : String.format("%dm%02ds", s / 60, s % 60);
    }
}
