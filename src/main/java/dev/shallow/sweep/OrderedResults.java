package dev.shallow.sweep;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The driver's side of {@code results.jsonl}: evaluations finish in any order (a cluster runs them side by side) and
 * their lines are appended in plan order, each once, so the file reads as a local run's and resumes the same way. A line
 * that shares an earlier line's layers is appended as soon as that evaluation is known.
 */
final class OrderedResults {
    private final Path file;
    private final List<Sweep.Line> plan;
    private final Map<Sweep.Line.Key, PointResult> evaluated;
    private final SweepProgress progress;
    private final int layers, stopAt;
    private final SweepOptions options;
    private final Map<Integer, PointResult> waiting = new HashMap<>();
    private final Set<Integer> announced = new HashSet<>();
    private final List<Integer> toEvaluate = new ArrayList<>();
    private int next;
    private long workDone, workTotal;

    /**
     * {@code done} lines are in the file already ({@code evaluated}: those evaluated themselves, by key); at most
     * {@code stopAfter} more are appended (the way an interrupted sweep stops).
     */
    OrderedResults(Path file, List<Sweep.Line> plan, int done, Map<Sweep.Line.Key, PointResult> evaluated, int stopAfter, int layers,
                   SweepOptions options, SweepProgress progress) {
        this.file = file;
        this.plan = plan;
        this.evaluated = evaluated;
        this.progress = progress;
        this.layers = layers;
        this.options = options;
        this.next = done;
        this.stopAt = (int) Math.min(plan.size(), (long) done + stopAfter);
        Set<Sweep.Line.Key> keys = new HashSet<>();
        for (int i = done; i < plan.size(); i++) {
            Sweep.Line l = plan.get(i);
            if (!evaluated.containsKey(l.key()) && keys.add(l.key())) {
                toEvaluate.add(i);
                workTotal += work(l);
            }
        }
        flush();
    }

    /** The lines left that need an evaluation of their own, in plan order: the first of each set of layers not yet evaluated. */
    List<Integer> toEvaluate() {
        return toEvaluate;
    }

    /** Whether more lines are wanted. */
    boolean open() {
        return next < stopAt;
    }

    /** Line {@code index} is about to be evaluated (here, where its progress can be shown). */
    void starting(int index) {
        announce(index);
    }

    /** Line {@code index}'s evaluation: appends every line now ready; a second result for a line (a retried task's) is ignored. Returns {@link #open}. */
    boolean finished(int index, PointResult result) {
        if (index >= next && waiting.putIfAbsent(index, result) == null) {
            workDone += work(plan.get(index));
            flush();
        }
        return open();
    }

    /** Appends lines in plan order while the next one is known (its own result, or an earlier evaluation of its layers). */
    private void flush() {
        while (open()) {
            Sweep.Line l = plan.get(next);
            PointResult own = waiting.remove(next), earlier = evaluated.get(l.key());
            PointResult r;
            if (own != null) {
                r = own;
                evaluated.put(l.key(), own);
            } else if (earlier != null) {
                r = new PointResult(l.point(), earlier.point(), l.healing(), earlier.scores(), 0, earlier.heal());
            } else {
                return;
            }
            announce(next);
            ResultsFile.append(file, r);
            next++;
            progress.finished(r, status(next));
        }
    }

    private void announce(int index) {
        if (announced.add(index)) progress.starting(plan.get(index).point(), plan.get(index).healing(), status(index));
    }

    private SweepProgress.Status status(int done) {
        return new SweepProgress.Status(done, plan.size(), workDone, workTotal);
    }

    /**
     * A line's weight for the ETA: the evaluation's kept layers, plus one for the embedding and head; healing adds that
     * again (pruning, held-out losses), and a method that trains that times its training tokens / 4096, roughly training's
     * cost against the evaluation's.
     */
    private long work(Sweep.Line l) {
        long evaluation = layers - l.point().n() + 1;
        if (!l.healed()) return evaluation;
        return evaluation * (2 + (l.healing().trains() ? options.heal().tokens() / 4096 : 0));
    }
}
