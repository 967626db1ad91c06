package dev.shallow.tensor;

import java.util.function.IntUnaryOperator;

/**
 * The parallel tasks of one pass over several weights: weight i's rows cut into panels of panel[i]
 * rows, task numbers running over weight 0's panels, then weight 1's, ... The cut depends only on
 * the shapes, never on the thread count (see {@link Parallel}).
 */
record RowTasks(Tensor[] ws, int[] panel, int[] first) {
    /** Rows [r0, r1) of weight i. */
    interface Body {
        void run(int i, int r0, int r1);
    }

    /** The tasks of ws, weight i cut into panels of rowsPerTask.applyAsInt(i) rows. */
    static RowTasks of(Tensor[] ws, IntUnaryOperator rowsPerTask) {
        int[] first = new int[ws.length + 1], panel = new int[ws.length];
        for (int i = 0; i < ws.length; i++) {
            panel[i] = rowsPerTask.applyAsInt(i);
            first[i + 1] = first[i] + (ws[i].rows() + panel[i] - 1) / panel[i];
        }
        return new RowTasks(ws, panel, first);
    }

    /** Runs body for every task, spread over {@link Parallel}'s threads. */
    void forEach(Body body) {
        Parallel.forEach(first[ws.length], task -> {
            int i = 0;
            while (task >= first[i + 1]) i++;
            int r0 = (task - first[i]) * panel[i];
            body.run(i, r0, Math.min(ws[i].rows(), r0 + panel[i]));
        });
    }
}
