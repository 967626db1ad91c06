package dev.shallow.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * A fixed pool of worker threads. Work is split into index ranges whose boundaries do not depend
 * on the thread count, and every output element is computed by one task in a fixed order, so
 * results are bit-identical whatever the number of threads.
 */
public final class Parallel {
    private static volatile int threads = Integer.getInteger("shallow.threads", Runtime.getRuntime().availableProcessors());
    private static ExecutorService pool;

    private Parallel() {
    }

    public static int threads() {
        return threads;
    }

    /** Sets the worker count (>= 1); takes effect on the next parallel call. */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be >= 1, got " + n);
        if (n != threads && pool != null) {
            pool.shutdown();
            pool = null;
        }
        threads = n;
    }

    private static synchronized ExecutorService pool() {
        if (pool == null) {
            pool = Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "shallow-worker");
                t.setDaemon(true);
                return t;
            });
        }
        return pool;
    }

    /** Runs {@code body.accept(i)} for every i in [0, n), spread over the pool. */
    public static void forEach(int n, IntConsumer body) {
        int t = Math.min(threads, n);
        if (t <= 1) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        ExecutorService p = pool();
        List<Future<?>> futures = new ArrayList<>(t);
        for (int w = 0; w < t; w++) {
            final int lo = (int) ((long) n * w / t), hi = (int) ((long) n * (w + 1) / t);
            futures.add(p.submit(() -> {
                for (int i = lo; i < hi; i++) body.accept(i);
            }));
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) throw re;
                throw new IllegalStateException(e.getCause());
            }
        }
    }
}
