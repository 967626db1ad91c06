package dev.shallow.tensor;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * A fixed pool of worker threads. Callers split work into indexed tasks whose boundaries do not
 * depend on the thread count, and every output element is computed by one task in a fixed order, so
 * results are bit-identical whatever the number of threads. Tasks are claimed dynamically (the
 * calling thread takes part), which balances uneven tasks and noisy neighbours.
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
            pool = Executors.newFixedThreadPool(Math.max(1, threads - 1), r -> {
                Thread t = new Thread(r, "shallow-worker");
                t.setDaemon(true);
                return t;
            });
        }
        return pool;
    }

    /** Runs {@code body.accept(i)} for every i in [0, n), spread over the calling thread and the pool. */
    public static void forEach(int n, IntConsumer body) {
        int t = Math.min(threads, n);
        if (t <= 1) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        Job job = new Job(n, body);
        ExecutorService p = pool();
        for (int w = 1; w < t; w++) p.execute(job::work);
        job.work();
        job.await();
    }

    /** One forEach call: tasks are claimed from {@code next}; the caller waits until all are done. */
    private static final class Job {
        final int n;
        final IntConsumer body;
        final AtomicInteger next = new AtomicInteger();
        int done;
        Throwable error;

        Job(int n, IntConsumer body) {
            this.n = n;
            this.body = body;
        }

        void work() {
            int finished = 0;
            Throwable failure = null;
            for (int i; (i = next.getAndIncrement()) < n; finished++) {
                try {
                    if (failure == null) body.accept(i);
                } catch (Throwable e) {
                    failure = e;
                }
            }
            synchronized (this) {
                if (failure != null && error == null) error = failure;
                done += finished;
                if (done == n) notifyAll();
            }
        }

        synchronized void await() {
            boolean interrupted = false;
            while (done < n) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
            if (error instanceof RuntimeException re) throw re;
            if (error instanceof Error err) throw err;
            if (error != null) throw new IllegalStateException(error);
        }
    }
}
