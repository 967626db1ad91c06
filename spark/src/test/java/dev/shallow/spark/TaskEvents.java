package dev.shallow.spark;

import org.apache.spark.Success$;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A listener (spark.extraListeners) recording, for the standalone test, which executors started tasks and how many task attempts failed. */
public final class TaskEvents extends SparkListener {
    static final Set<String> STARTED_ON = ConcurrentHashMap.newKeySet();
    static final AtomicInteger FAILED = new AtomicInteger();

    @Override
    public void onTaskStart(SparkListenerTaskStart start) {
        STARTED_ON.add(start.taskInfo().executorId());
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        if (end.reason() != Success$.MODULE$) FAILED.incrementAndGet();
    }
}
