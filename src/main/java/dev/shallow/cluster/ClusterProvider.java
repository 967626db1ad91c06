package dev.shallow.cluster;

/** Found by {@link java.util.ServiceLoader}: the Spark module's entry (META-INF/services/dev.shallow.cluster.ClusterProvider). */
public interface ClusterProvider {
    /** Starts (or joins) the engine at {@code master}; empty: the master {@code spark-submit} configured. */
    Cluster connect(String master);
}
