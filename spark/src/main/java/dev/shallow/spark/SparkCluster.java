package dev.shallow.spark;

import dev.shallow.ShallowException;
import dev.shallow.cluster.Cluster;
import dev.shallow.cluster.ClusterFunction;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import scala.Function2;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;
import scala.runtime.BoxedUnit;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * Apache Spark as a {@link Cluster}: each input is one partition, so one task; results come back to the driver through
 * the job's result handler as tasks finish. Spark reports each partition's result once, however often its task was
 * retried (a lost executor, a failed attempt), so no result is counted twice.
 */
public final class SparkCluster implements Cluster {
    private final JavaSparkContext spark;

    private SparkCluster(JavaSparkContext spark) {
        this.spark = spark;
    }

    /**
     * Starts a driver for {@code master} (empty: the master spark-submit set). The Spark UI is off unless configured; on a
     * cluster a task is retried up to 4 times (spark.task.maxFailures); this module's jars and the core's are shipped to
     * the executors when they are jar files.
     */
    static SparkCluster start(String master) {
        SparkConf conf = new SparkConf().setAppName("shallow");
        if (!master.isEmpty()) conf.setMaster(master);
        else if (!conf.contains("spark.master")) throw new ShallowException("--spark: no master given and none set by spark-submit (give --spark local[N] or spark://HOST:PORT)");
        conf.setIfMissing("spark.ui.enabled", "false");
        List<String> jars = new ArrayList<>();
        for (Class<?> c : List.of(Cluster.class, SparkCluster.class)) {
            String jar = c.getProtectionDomain().getCodeSource().getLocation().getPath();
            if (jar.endsWith(".jar") && !jars.contains(jar)) jars.add(jar);
        }
        if (!jars.isEmpty() && !conf.contains("spark.jars")) conf.set("spark.jars", String.join(",", jars));
        try {
            return new SparkCluster(new JavaSparkContext(conf));
        } catch (Exception e) { // a bad master URL is a SparkException, checked and undeclared
            throw new ShallowException("--spark " + conf.get("spark.master") + ": cannot start Spark: " + firstLine(e.getMessage()), e);
        }
    }

    @Override
    public <I extends Serializable, O extends Serializable> void run(List<I> inputs, ClusterFunction<I, O> function, Results<O> results) {
        if (inputs.isEmpty()) return;
        SparkContext sc = spark.sc();
        RDD<I> rdd = spark.parallelize(inputs, inputs.size()).rdd(); // n slices of n inputs: partition i holds input i
        String group = "shallow-" + UUID.randomUUID();
        AtomicBoolean cancelled = new AtomicBoolean();
        AtomicInteger reported = new AtomicInteger();
        Function2<TaskContext, Iterator<I>, O> task = (Function2<TaskContext, Iterator<I>, O> & Serializable) (context, partition) -> function.apply(partition.next());
        Function2<Object, O, BoxedUnit> handler = (index, result) -> { // on the driver, one result at a time
            int finished = reported.incrementAndGet();
            if (!cancelled.get() && !results.finished((Integer) index, result) && finished < inputs.size()) {
                cancelled.set(true);
                sc.cancelJobGroup(group, "enough results");
            }
            return BoxedUnit.UNIT;
        };
        sc.setJobGroup(group, "shallow: " + inputs.size() + " tasks", true);
        try {
            sc.runJob(rdd, task, CollectionConverters.asScala(IntStream.range(0, inputs.size()).boxed().map(i -> (Object) i).toList()).toSeq(), handler,
                    ClassTag$.MODULE$.apply(Object.class));
        } catch (Exception e) { // Scala throws SparkException, a checked exception, undeclared
            if (cancelled.get()) return;
            for (Throwable t = e; t != null; t = t.getCause()) if (t instanceof ShallowException s) throw s; // the driver's own (writing results)
            throw new ShallowException("--spark: " + firstLine(e.getMessage()), e);
        } finally {
            sc.clearJobGroup();
        }
    }

    private static String firstLine(String message) {
        return message == null ? "a task failed" : message.lines().findFirst().orElse(message);
    }

    @Override
    public int parallelism() {
        return spark.sc().defaultParallelism();
    }

    @Override
    public void close() {
        spark.stop();
    }
}
