package dev.shallow.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Parallel.forEach runs every task once, across quick successive calls, parked workers, failures, nesting and concurrent callers. */
class ParallelTest {
    final int defaultThreads = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(defaultThreads);
    }

    static void runsEachTaskOnce(int n) {
        AtomicIntegerArray hits = new AtomicIntegerArray(n);
        Parallel.forEach(n, hits::incrementAndGet);
        for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "task " + i + " of " + n);
    }

    @Test
    void everyTaskOnceForAnyThreadCount() throws InterruptedException {
        for (int threads = 1; threads <= 4; threads++) {
            Parallel.setThreads(threads);
            for (int call = 0; call < 2000; call++) runsEachTaskOnce(1 + call % 37); // back to back: workers still polling
            Thread.sleep(5); // long enough for the workers to park
            runsEachTaskOnce(64);
        }
    }

    @Test
    void failureReachesTheCallerAndThePoolGoesOn() {
        Parallel.setThreads(3);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forEach(50, i -> {
            if (i == 17) throw new IllegalStateException("task 17");
        }));
        assertEquals("task 17", e.getMessage());
        runsEachTaskOnce(50);
    }

    @Test
    void nestedAndConcurrentCalls() throws InterruptedException {
        Parallel.setThreads(3);
        AtomicIntegerArray hits = new AtomicIntegerArray(8 * 8);
        Parallel.forEach(8, i -> Parallel.forEach(8, j -> hits.incrementAndGet(i * 8 + j)));
        for (int i = 0; i < 64; i++) assertEquals(1, hits.get(i), "nested task " + i);
        Thread[] callers = new Thread[4];
        Throwable[] errors = new Throwable[callers.length];
        for (int c = 0; c < callers.length; c++) {
            int id = c;
            callers[c] = new Thread(() -> {
                try {
                    for (int call = 0; call < 500; call++) runsEachTaskOnce(1 + (call + id) % 23);
                } catch (Throwable t) {
                    errors[id] = t;
                }
            });
            callers[c].start();
        }
        for (Thread t : callers) t.join();
        for (Throwable t : errors) if (t != null) throw new AssertionError(t);
    }
}
