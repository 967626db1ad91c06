package dev.shallow.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed pool of worker threads. Callers split work into indexed tasks whose boundaries do not
 * depend on the thread count (or, where they do, each output is computed whole by one task whatever the
 * cut: {@link RowTasks#shares}), and every output element is computed by one task in a fixed order, so
 * results are bit-identical whatever the number of threads. Tasks are claimed dynamically (the
 * calling thread takes part), which balances uneven tasks and noisy neighbours.
 *
 * <p>Decode makes over a hundred short parallel calls per token, so an idle worker spins for
 * {@link #SPIN_NANOS} on the published job before it parks, and so does a caller waiting for the
 * last tasks: a call that follows shortly after the previous one starts without a wake-up.
 */
public final class Parallel {
    /** How long an idle worker (or a waiting caller) polls before parking. */
    static final long SPIN_NANOS = 50_000;

    private static volatile int threads = Integer.getInteger("shallow.threads", Runtime.getRuntime().availableProcessors());
    private static Pool pool;

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

    private static synchronized Pool pool() {
        if (pool == null) pool = new Pool(Math.max(1, threads - 1));
        return pool;
    }

    /** Runs {@code body.accept(i)} for every i in [0, n), spread over the calling thread and the pool. */
    public static void forEach(int n, IntConsumer body) {
        int t = Math.min(threads, n);
        if (t <= 1) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        Job job = new Job(n, body, Thread.currentThread());
        Pool p = pool();
        p.publish(job);
        job.work();
        job.await();
        p.retire(job);
    }

    /**
     * The workers. The latest job sits in {@code job}; a worker runs each job newer than its last. A
     * worker that may park first sets its {@code sleeping} flag and then reads {@code job} again, and
     * the publisher writes {@code job} before it reads the flags (all volatile), so a job is never
     * missed. Several callers at once are safe: a worker may skip a job, whose caller then runs its
     * remaining tasks itself.
     */
    private static final class Pool {
        final Worker[] workers;
        final AtomicReference<Job> job = new AtomicReference<>();
        volatile boolean stopped;
        /** Jobs published so far: the latest one's sequence number. */
        final AtomicLong published = new AtomicLong();

        Pool(int n) {
            workers = new Worker[n];
            for (int i = 0; i < n; i++) {
                workers[i] = new Worker();
                workers[i].setDaemon(true);
                workers[i].start();
            }
        }

        void publish(Job j) {
            j.seq = published.incrementAndGet();
            job.set(j);
            for (Worker w : workers) if (w.sleeping) LockSupport.unpark(w);
        }

        /** Drops a finished job (if still the latest) so that its arrays can be collected. */
        void retire(Job j) {
            job.compareAndSet(j, null);
        }

        void shutdown() {
            stopped = true;
            for (Worker w : workers) LockSupport.unpark(w);
        }

        final class Worker extends Thread {
            volatile boolean sleeping;

            Worker() {
                super("shallow-worker");
            }

            @Override
            public void run() {
                long seen = 0;
                for (Job j; (j = next(seen)) != null; seen = j.seq) j.work();
            }

            /** The published job once it is newer than job {@code seen} (polled for SPIN_NANOS, then parked for); null when stopped. */
            private Job next(long seen) {
                long start = System.nanoTime();
                for (int i = 1; !stopped; i++) {
                    Job j = job.get();
                    if (j != null && j.seq != seen) return j;
                    if ((i & 63) != 0 || System.nanoTime() - start < SPIN_NANOS) {
                        Thread.onSpinWait();
                        continue;
                    }
                    sleeping = true;
                    j = job.get();
                    if ((j == null || j.seq == seen) && !stopped) LockSupport.park(this);
                    sleeping = false;
                }
                return null;
            }
        }
    }

    /** One forEach call: tasks are claimed from {@code next}; the caller waits until all are done. */
    private static final class Job {
        final int n;
        final IntConsumer body;
        final Thread caller;
        long seq;
        final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        volatile boolean callerParked;
        volatile Throwable error;

        Job(int n, IntConsumer body, Thread caller) {
            this.n = n;
            this.body = body;
            this.caller = caller;
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
            if (failure != null) {
                synchronized (this) {
                    if (error == null) error = failure;
                }
            }
            // the caller sets callerParked before it reads done again (both volatile): one of the two sees the end
            if (finished > 0 && done.addAndGet(finished) == n && callerParked) LockSupport.unpark(caller);
        }

        /** Polls for the other threads' tasks for SPIN_NANOS, then parks until the last one ends. */
        void await() {
            long start = System.nanoTime();
            for (int i = 1; done.get() < n; i++) {
                if ((i & 63) == 0 && System.nanoTime() - start > SPIN_NANOS) {
                    callerParked = true;
                    while (done.get() < n) LockSupport.park(this);
                    break;
                }
                Thread.onSpinWait();
            }
            Throwable e = error;
            if (e instanceof RuntimeException re) throw re;
            if (e instanceof Error err) throw err;
            if (e != null) throw new IllegalStateException(e);
        }
    }
}
