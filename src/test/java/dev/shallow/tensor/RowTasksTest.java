package dev.shallow.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RowTasksTest {
    static Tensor rows(int n) {
        return Tensor.of(DType.F32, MemorySegment.ofArray(new float[n * 4]), new long[] {n, 4});
    }

    /** Every row of every product in exactly one task, tasks non-empty and within their product. */
    static void assertPartition(RowTasks tasks, int[] rows, String what) {
        int[][] seen = new int[rows.length][];
        for (int i = 0; i < rows.length; i++) seen[i] = new int[rows[i]];
        for (int k = 0; k < tasks.product().length; k++) {
            int i = tasks.product()[k], r0 = tasks.from()[k], r1 = tasks.to()[k];
            assertTrue(0 <= r0 && r0 < r1 && r1 <= rows[i], what + ": task " + k + " [" + r0 + ", " + r1 + ") of " + rows[i]);
            for (int r = r0; r < r1; r++) seen[i][r]++;
        }
        for (int i = 0; i < rows.length; i++) for (int r = 0; r < rows[i]; r++) assertEquals(1, seen[i][r], what + ": product " + i + " row " + r);
    }

    /** Uniform panels: product 0's first, each of the given size but the last. */
    @Test
    void panelsCutEachProductInOrder() {
        int[] outputs = {10, 3, 8};
        RowTasks t = RowTasks.of(outputs, i -> 4);
        assertPartition(t, outputs, "panels of 4");
        assertEquals(3 + 1 + 2, t.product().length);
        assertEquals(0, t.product()[2]);
        assertEquals(8, t.from()[2]);
        assertEquals(10, t.to()[2]);
        assertEquals(1, t.product()[3]);
    }

    /**
     * Shares: each thread's share of each weight begins with one task of three quarters of it (rounded down to a multiple of
     * 12 rows), all such long tasks first; every bound but a weight's end a multiple of 4; the tails in tasks of the given size.
     */
    @Test
    void sharesStartWithOneLongRunPerThreadThenTheTails() {
        for (int threads = 1; threads <= 4; threads++) {
            for (int[] rows : new int[][] {{1}, {3, 7}, {33}, {256, 32, 32}, {2048}, {5632, 5632}, {100, 9}}) {
                Tensor[] ws = new Tensor[rows.length];
                for (int i = 0; i < rows.length; i++) ws[i] = rows(rows[i]);
                RowTasks t = RowTasks.shares(ws, threads, i -> 8);
                String what = threads + " threads, rows " + java.util.Arrays.toString(rows);
                assertPartition(t, rows, what);
                int heads = 0;
                for (int i = 0; i < rows.length; i++) {
                    for (int s = 0; s < threads; s++) {
                        int a = (int) ((long) rows[i] * s / threads) / 4 * 4, b = s + 1 == threads ? rows[i] : (int) ((long) rows[i] * (s + 1) / threads) / 4 * 4;
                        int head = (b - a) / 16 * 12;
                        if (head == 0) continue;
                        assertEquals(i, t.product()[heads], what);
                        assertEquals(a, t.from()[heads], what);
                        assertEquals(a + head, t.to()[heads], what);
                        heads++;
                    }
                }
                for (int k = heads; k < t.product().length; k++) {
                    int i = t.product()[k];
                    assertTrue(t.to()[k] - t.from()[k] <= 8, what + ": tail task " + k);
                    assertEquals(0, t.from()[k] % 4, what + ": tail task " + k);
                    assertTrue(t.to()[k] == rows[i] || t.to()[k] % 4 == 0, what + ": tail task " + k);
                }
            }
        }
    }
}
