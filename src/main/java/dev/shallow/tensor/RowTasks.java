package dev.shallow.tensor;

import java.util.function.IntUnaryOperator;

/**
 * The parallel tasks of one pass over several weights: product i's outputs[i] outputs (a weight's rows) cut
 * into panels of panel[i], task numbers running over product 0's panels, then product 1's, ... The cut
 * depends only on the shapes, never on the thread count (see {@link Parallel}).
 */
record RowTasks(int[] outputs, int[] panel, int[] first) {
    /** Outputs (rows) [r0, r1) of product i. */
    interface Body {
        void run(int i, int r0, int r1);
    }

    /** The tasks of ws, weight i's rows cut into panels of rowsPerTask.applyAsInt(i). */
    static RowTasks of(Tensor[] ws, IntUnaryOperator rowsPerTask) {
        int[] outputs = new int[ws.length];
        for (int i = 0; i < ws.length; i++) outputs[i] = ws[i].rows();
        return of(outputs, rowsPerTask);
    }

    /** The tasks of products with these output counts, product i's cut into panels of perTask.applyAsInt(i). */
    static RowTasks of(int[] outputs, IntUnaryOperator perTask) {
        int[] first = new int[outputs.length + 1], panel = new int[outputs.length];
        for (int i = 0; i < outputs.length; i++) {
            panel[i] = perTask.applyAsInt(i);
            first[i + 1] = first[i] + (outputs[i] + panel[i] - 1) / panel[i];
        }
        return new RowTasks(outputs, panel, first);
    }

    /** Runs body for every task, spread over {@link Parallel}'s threads. */
    void forEach(Body body) {
        Parallel.forEach(first[outputs.length], task -> {
            int i = 0;
            while (task >= first[i + 1]) i++;
            int r0 = (task - first[i]) * panel[i];
            body.run(i, r0, Math.min(outputs[i], r0 + panel[i]));
        });
    }
}
