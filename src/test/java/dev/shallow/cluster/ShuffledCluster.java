package dev.shallow.cluster;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * A {@link Cluster} in this JVM without Spark, for tests: each task's function and input go through Java serialization (as
 * they would to an executor), and so does its result on the way back; the results are reported in a seeded shuffled order.
 */
public final class ShuffledCluster implements Cluster {
    private final Random random;
    private int tasks;

    public ShuffledCluster(long seed) {
        this.random = new Random(seed);
    }

    /** Tasks run so far. */
    public int tasks() {
        return tasks;
    }

    @Override
    public <I extends Serializable, O extends Serializable> void run(List<I> inputs, ClusterFunction<I, O> function, Results<O> results) {
        List<Integer> order = new ArrayList<>(IntStream.range(0, inputs.size()).boxed().toList());
        Collections.shuffle(order, random);
        for (int i : order) {
            tasks++;
            @SuppressWarnings("unchecked") ClusterFunction<I, O> shipped = (ClusterFunction<I, O>) copy(function);
            @SuppressWarnings("unchecked") I input = (I) copy(inputs.get(i));
            @SuppressWarnings("unchecked") O result = (O) copy(shipped.apply(input));
            if (!results.finished(i, result)) return;
        }
    }

    private static Object copy(Serializable o) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(o);
            }
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                return in.readObject();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public int parallelism() {
        return 2;
    }

    @Override
    public void close() {
    }
}
