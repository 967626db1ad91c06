package dev.shallow.cli;

import dev.shallow.cluster.Cluster;
import picocli.CommandLine.Option;

/** --spark [MASTER]: run the command's independent pieces of work as tasks on Apache Spark (the spark/ module). */
final class SparkOption {
    @Option(names = "--spark", arity = "0..1", fallbackValue = "", paramLabel = "MASTER",
            description = "Run on Apache Spark: local[N], spark://HOST:PORT, or (no value) the master spark-submit set. Needs the Spark module "
                    + "(bash scripts/build_spark.sh); the model and data must be at paths every executor sees, or (the model, --data, --heal-data) at a Hadoop FileSystem URI (hdfs://, s3a://). Results are the local run's.")
    String master;

    /** The cluster to run on, or null (no --spark: run here). */
    Cluster connect() {
        return master == null ? null : Cluster.connect(master);
    }
}
