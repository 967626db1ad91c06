package dev.shallow.cluster;

import dev.shallow.ShallowException;

import java.io.Serializable;
import java.util.List;
import java.util.ServiceLoader;

/**
 * A distributed engine (Apache Spark, from the separate {@code spark/} module) that runs independent pieces of work on
 * its executors and hands each result back to the driver as it finishes. Every data path the work reads must be one every
 * executor sees (a shared filesystem); a model may also be at a URI of a distributed filesystem ({@link FileSources}).
 */
public interface Cluster extends AutoCloseable {
    /** Told each result on the driver, one at a time, in the order they finish. */
    @FunctionalInterface
    interface Results<O> {
        /** {@code index}: the input's position in the list; returns false to cancel the inputs not yet finished. */
        boolean finished(int index, O result);
    }

    /**
     * Runs {@code function} on every input, one task each, and calls {@code results} once per input (a task that fails
     * and is retried is still reported once); returns when every input is reported or {@code results} returned false.
     * An input that fails on every attempt is a {@link ShallowException} with the engine's reason.
     */
    <I extends Serializable, O extends Serializable> void run(List<I> inputs, ClusterFunction<I, O> function, Results<O> results);

    /** How many tasks the engine runs at once by default (Spark's default parallelism: its executors' cores). */
    int parallelism();

    @Override
    void close();

    /**
     * The engine for {@code master} ({@code --spark MASTER}; an empty master takes the one {@code spark-submit} set); when
     * the Spark module is not on the classpath, a one-line error saying how to build it.
     */
    static Cluster connect(String master) {
        for (ClusterProvider p : ServiceLoader.load(ClusterProvider.class)) return p.connect(master);
        throw new ShallowException("--spark: the Spark module is not built; build it once with 'bash scripts/build_spark.sh' "
                + "(./shallow then puts it on the classpath when --spark is given)");
    }
}
