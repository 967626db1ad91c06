package dev.shallow.spark;

import dev.shallow.cluster.Cluster;
import dev.shallow.cluster.ClusterProvider;

/** The Spark module's entry, found by {@link java.util.ServiceLoader} when this module is on the classpath. */
public final class SparkClusterProvider implements ClusterProvider {
    @Override
    public Cluster connect(String master) {
        return SparkCluster.start(master);
    }
}
