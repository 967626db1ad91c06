package dev.shallow.cluster;

import java.io.Serializable;
import java.util.function.Function;

/** What a {@link Cluster} runs on each input: shipped to the executors, so it and everything it holds is serializable. */
@FunctionalInterface
public interface ClusterFunction<I, O> extends Function<I, O>, Serializable {
}
