package dev.shallow.spark;

import dev.shallow.ShallowException;
import dev.shallow.cluster.Cluster;
import dev.shallow.model.Model;
import dev.shallow.sweep.Sweep;
import dev.shallow.sweep.SweepProgress;
import dev.shallow.sweep.SweepRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real Spark standalone cluster on the loopback interface, started from the Spark jars on the test classpath: a master
 * and two workers (one core each) as child JVMs. A sweep runs on it; as soon as a task has started on the first worker's
 * executor, that worker and its executor are killed. Spark retries the lost task on the other worker and the sweep's
 * results equal the local run's.
 */
class StandaloneClusterTest {
    private static final String HOST = "127.0.0.1";
    private final List<Process> started = new ArrayList<>();

    @TempDir
    Path tmp;

    @AfterEach
    void stopCluster() {
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (String key : List.of("spark.driver.host", "spark.driver.bindAddress", "spark.executor.extraClassPath", "spark.executor.memory",
                "spark.extraListeners")) {
            System.clearProperty(key);
        }
    }

    @Test
    void aMasterSparkCannotUseIsAOneLineError() {
        ShallowException e = assertThrows(ShallowException.class, () -> Cluster.connect("spark:/nowhere"));
        assertTrue(e.getMessage().startsWith("--spark spark:/nowhere: cannot start Spark: ") && !e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void aSweepSurvivesAKilledWorkerWithTheLocalResults() throws Exception {
        Path local = tmp.resolve("local"), distributed = tmp.resolve("cluster");
        try (Model model = Model.load(SweepRuns.MODEL)) {
            Sweep.run(model, SweepRuns.options(), local, SweepProgress.NONE);
        }

        Path home = Files.createDirectories(tmp.resolve("spark-home/jars")).getParent(); // Spark's launcher wants SPARK_HOME/jars; the classes come from the classpath
        int port = freePort(), ui = freePort();
        String master = "spark://" + HOST + ":" + port;
        start(home, "master", "org.apache.spark.deploy.master.Master", "--host", HOST, "--port", "" + port, "--webui-port", "" + ui);
        Process first = start(home, "worker-1", "org.apache.spark.deploy.worker.Worker", "--host", HOST, "--cores", "1", "--memory", "1g",
                "--webui-port", "" + freePort(), "--work-dir", tmp.resolve("work-1").toString(), master);
        start(home, "worker-2", "org.apache.spark.deploy.worker.Worker", "--host", HOST, "--cores", "1", "--memory", "1g",
                "--webui-port", "" + freePort(), "--work-dir", tmp.resolve("work-2").toString(), master);
        long t0 = System.nanoTime();
        awaitWorkers(ui, 2);
        System.out.printf("cluster up in %.1f s%n", (System.nanoTime() - t0) / 1e9);

        System.setProperty("spark.driver.host", HOST);
        System.setProperty("spark.driver.bindAddress", HOST);
        System.setProperty("spark.executor.extraClassPath", classPath());
        System.setProperty("spark.executor.memory", "512m");
        System.setProperty("spark.extraListeners", TaskEvents.class.getName());
        TaskEvents.STARTED_ON.clear();
        TaskEvents.FAILED.set(0);
        SweepRun run;
        try (Cluster cluster = Cluster.connect(master); Model model = Model.load(SweepRuns.MODEL)) {
            CompletableFuture<String> killed = CompletableFuture.supplyAsync(() -> killOnFirstTask(first, tmp.resolve("work-1")));
            run = Sweep.run(model, SweepRuns.options(), distributed, cluster, SweepProgress.NONE, Integer.MAX_VALUE);
            System.out.printf("sweep on the cluster in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, killed.getNow("not yet"));
            assertTrue(killed.get().startsWith("killed"), killed.get());
        }
        assertEquals(8, run.points().size());
        SweepRuns.assertSameResults(local, distributed);
        assertTrue(TaskEvents.FAILED.get() >= 1, "the task running on the killed worker was lost and retried: " + TaskEvents.FAILED.get() + " failed attempts");
        assertTrue(TaskEvents.STARTED_ON.size() >= 2, "both workers' executors ran tasks: " + TaskEvents.STARTED_ON);
    }

    /**
     * Waits until a task has started on {@code worker}'s executor (the worker makes a directory named by the executor's id
     * in its work directory), then kills the executor and the worker.
     */
    private static String killOnFirstTask(Process worker, Path workDir) {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline) {
            Optional<String> executor = executorIds(workDir).stream().filter(TaskEvents.STARTED_ON::contains).findFirst();
            if (executor.isPresent()) {
                worker.descendants().forEach(ProcessHandle::destroyForcibly);
                worker.destroyForcibly();
                return "killed worker-1 and its executor " + executor.get();
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return "interrupted";
            }
        }
        return "no task started on worker-1 within 120 s";
    }

    /** The ids of the executors a worker started: WORK_DIR/APP_ID/EXECUTOR_ID. */
    private static List<String> executorIds(Path workDir) {
        try (Stream<Path> apps = Files.list(workDir)) {
            List<String> ids = new ArrayList<>();
            for (Path app : apps.toList()) {
                try (Stream<Path> executors = Files.list(app)) {
                    executors.forEach(e -> ids.add(e.getFileName().toString()));
                }
            }
            return ids;
        } catch (IOException notYet) {
            return List.of();
        }
    }

    /** A master or worker JVM (C1 only: they start faster and leave the cores to the executors). */
    private Process start(Path home, String name, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + System.getProperty("spark.jvm.args"), "-Xmx256m",
                "-XX:TieredStopAtLevel=1", "-cp", classPath(), mainClass));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(tmp.resolve(name + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", home.toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_LOCAL_IP", HOST);
        Process p = pb.start();
        started.add(p);
        return p;
    }

    /** Polls the master's JSON status page until {@code n} workers are alive. */
    private void awaitWorkers(int ui, int n) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + 90_000_000_000L;
        String body = "";
        while (System.nanoTime() < deadline) {
            try {
                body = http.send(HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + ui + "/json/")).build(), HttpResponse.BodyHandlers.ofString()).body();
                if (body.contains("\"aliveworkers\" : " + n) || body.contains("\"aliveworkers\":" + n)) return;
            } catch (IOException notYet) {
                // the master's UI is not up yet
            }
            Thread.sleep(200);
        }
        fail("the cluster did not come up with " + n + " workers: " + body + "\n" + Files.readString(tmp.resolve("master.log")));
    }

    /** The test's classpath (surefire's manifest-only jar names it in the surefire.test.class.path property). */
    private static String classPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
