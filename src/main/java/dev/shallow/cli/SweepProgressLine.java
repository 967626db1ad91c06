package dev.shallow.cli;

import dev.shallow.prune.Layers;
import dev.shallow.sweep.HealMethod;
import dev.shallow.sweep.Point;
import dev.shallow.sweep.PointResult;
import dev.shallow.sweep.SweepProgress;
import dev.shallow.sweep.TaskScore;

import java.io.PrintStream;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * A sweep's progress on stderr: the analysis as {@code analyse} shows it, then one live line (points done / total,
 * overall ETA, the point being evaluated and its current task's tokens) and a finished line per point.
 */
final class SweepProgressLine implements SweepProgress {
    private final PrintStream err;
    private final ProgressLine analysis;
    private boolean evaluating;
    private long start;
    private String prefix = "";
    private String phase;
    /** When the current task began: tasks run one after another, so at the previous one's last update (or the point's start). */
    private long phaseStart, lastUpdate, lastDraw;

    SweepProgressLine(PrintStream err) {
        this.err = err;
        this.analysis = new ProgressLine(err);
    }

    @Override
    public void note(String message) {
        analysis.note(message);
    }

    @Override
    public void update(String phase, long done, long total) {
        if (!evaluating) {
            analysis.update(phase, done, total);
            return;
        }
        long now = System.nanoTime();
        if (!phase.equals(this.phase)) {
            this.phase = phase;
            phaseStart = lastUpdate;
        }
        lastUpdate = now;
        if (now - lastDraw < 500_000_000L) return;
        lastDraw = now;
        err.print("\r" + prefix + " | " + ProgressLine.status(phase, done, total, "tokens", (now - phaseStart) / 1e9) + "   ");
        err.flush();
    }

    @Override
    public void starting(Point point, HealMethod healing, Status status) {
        if (!evaluating) {
            analysis.finish();
            evaluating = true;
            start = System.nanoTime();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        String eta = status.workDone() == 0 ? "--" : ProgressLine.duration(elapsed * (status.workTotal() - status.workDone()) / status.workDone());
        lastUpdate = System.nanoTime();
        prefix = String.format(Locale.ROOT, "[%d/%d points, ETA %s] %s%s", status.done(), status.total(), eta, point.label(), HealMethod.suffix(healing));
        phase = null;
    }

    @Override
    public void finished(PointResult r, Status status) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "\r%3d/%d  %-33s removed %-8s", status.done(), status.total(),
                r.point().label() + HealMethod.suffix(r.healing()), r.point().removedText()));
        Set<String> shown = new LinkedHashSet<>();
        for (TaskScore s : r.scores()) {
            if (shown.add(s.task())) line.append(String.format(Locale.ROOT, "  %s %s %.4f", s.task(), s.metric(), s.value()));
        }
        if (r.heal() != null && r.reusedFrom() == null) {
            line.append(String.format(Locale.ROOT, "  healed %,d tokens in %.1f s, held-out %.4f -> %.4f", r.heal().tokens(), r.heal().seconds(),
                    r.heal().lossBefore(), r.heal().lossAfter()));
        }
        line.append(r.reusedFrom() != null ? "  (same layers as " + r.reusedFrom().label() + ")" : String.format(Locale.ROOT, "  %.1f s", r.seconds()));
        err.println(line + "          ");
        lastDraw = 0;
    }
}
