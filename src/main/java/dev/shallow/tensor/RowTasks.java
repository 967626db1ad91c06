package dev.shallow.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * The parallel tasks of one pass over several weights: task k computes outputs (a weight's rows) [from[k], to[k]) of
 * product[k]. Tasks are claimed in order by {@link Parallel}'s threads; each output is computed by exactly one task.
 */
record RowTasks(int[] product, int[] from, int[] to) {
    /** Outputs (rows) [r0, r1) of product i. */
    interface Body {
        void run(int i, int r0, int r1);
    }

    /** The tasks of ws, weight i's rows cut into panels of rowsPerTask.applyAsInt(i). */
    static RowTasks of(Tensor[] ws, IntUnaryOperator rowsPerTask) {
        return of(rows(ws), rowsPerTask);
    }

    /**
     * The tasks of products with these output counts, product i's cut into panels of perTask.applyAsInt(i), product 0's
     * panels first. The cut depends only on the shapes, never on the thread count (see {@link Parallel}).
     */
    static RowTasks of(int[] outputs, IntUnaryOperator perTask) {
        Builder b = new Builder();
        for (int i = 0; i < outputs.length; i++) b.cut(i, 0, outputs[i], perTask.applyAsInt(i));
        return b.build();
    }

    /**
     * The tasks of ws for {@code threads} threads: weight i's rows in {@code threads} equal shares (bounds multiples of 4), the
     * first three quarters of each share one task, so that each thread streams one long run of contiguous rows, and the rest of
     * each share in tasks of tailRows.applyAsInt(i) rows, taken by whichever thread is free, so that a thread slowed down by
     * up to a third is still evened out. The long tasks of every weight come first, then the tails. The cut depends on the
     * thread count: only for products where one task computes each output whole, whatever the cut (GEMV rows).
     */
    static RowTasks shares(Tensor[] ws, int threads, IntUnaryOperator tailRows) {
        int[] rows = rows(ws);
        Builder heads = new Builder(), tails = new Builder();
        for (int i = 0; i < rows.length; i++) {
            for (int t = 0; t < threads; t++) {
                int a = share(rows[i], t, threads), b = share(rows[i], t + 1, threads), m = a + (b - a) / 16 * 12;
                heads.cut(i, a, m, m - a);
                tails.cut(i, m, b, tailRows.applyAsInt(i));
            }
        }
        heads.add(tails);
        return heads.build();
    }

    /** Runs body for every task, spread over {@link Parallel}'s threads. */
    void forEach(Body body) {
        Parallel.forEach(product.length, k -> body.run(product[k], from[k], to[k]));
    }

    /** Where share t of n ends before: t / n of the rows, rounded down to a multiple of 4 (the last share ends at rows). */
    private static int share(int rows, int t, int n) {
        return t == n ? rows : (int) ((long) rows * t / n) / 4 * 4;
    }

    private static int[] rows(Tensor[] ws) {
        int[] rows = new int[ws.length];
        for (int i = 0; i < ws.length; i++) rows[i] = ws[i].rows();
        return rows;
    }

    /** Tasks in the order they are added. */
    private static final class Builder {
        final List<int[]> tasks = new ArrayList<>();

        /** Outputs [r0, r1) of product i in tasks of {@code per} outputs (the last one shorter); nothing when empty. */
        void cut(int i, int r0, int r1, int per) {
            for (int r = r0; r < r1; r += per) tasks.add(new int[] {i, r, Math.min(r1, r + per)});
        }

        void add(Builder more) {
            tasks.addAll(more.tasks);
        }

        RowTasks build() {
            int n = tasks.size();
            int[] product = new int[n], from = new int[n], to = new int[n];
            for (int k = 0; k < n; k++) {
                product[k] = tasks.get(k)[0];
                from[k] = tasks.get(k)[1];
                to[k] = tasks.get(k)[2];
            }
            return new RowTasks(product, from, to);
        }
    }
}
