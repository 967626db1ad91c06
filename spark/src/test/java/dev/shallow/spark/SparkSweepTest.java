package dev.shallow.spark;

import dev.shallow.cluster.Cluster;
import dev.shallow.model.Model;
import dev.shallow.sweep.RunDirectory;
import dev.shallow.sweep.Sweep;
import dev.shallow.sweep.SweepProgress;
import dev.shallow.sweep.SweepRun;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A sweep on Spark local[2] gives the local sweep's results, and an interrupted distributed sweep resumes after its last written point. */
class SparkSweepTest {
    @TempDir
    static Path tmp;
    private static Cluster cluster;
    private static Path local;

    @BeforeAll
    static void localSweepAndCluster() {
        local = tmp.resolve("local");
        try (Model model = Model.load(SweepRuns.MODEL)) {
            Sweep.run(model, SweepRuns.options(), local, SweepProgress.NONE);
        }
        cluster = Cluster.connect("local[2]");
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void sweepOnLocal2EqualsTheLocalSweep() throws IOException {
        Path dir = tmp.resolve("spark");
        SweepRun run;
        try (Model model = Model.load(SweepRuns.MODEL)) {
            run = Sweep.run(model, SweepRuns.options(), dir, cluster, SweepProgress.NONE, Integer.MAX_VALUE);
        }
        assertEquals(8, run.points().size());
        SweepRuns.assertSameResults(local, dir);
    }

    @Test
    void anInterruptedDistributedSweepResumesAfterItsLastPoint() throws IOException {
        Path dir = tmp.resolve("resumed");
        try (Model model = Model.load(SweepRuns.MODEL)) {
            Sweep.run(model, SweepRuns.options(), dir, cluster, SweepProgress.NONE, 3);
            assertEquals(3, Files.readAllLines(dir.resolve(RunDirectory.RESULTS)).size(), "the driver stopped after 3 points");
            SweepRun run = Sweep.run(model, SweepRuns.options(), dir, cluster, SweepProgress.NONE, Integer.MAX_VALUE);
            assertEquals(8, run.points().size());
        }
        SweepRuns.assertSameResults(local, dir);
        assertTrue(Files.readString(dir.resolve(RunDirectory.RESULTS)).endsWith("\n"));
    }
}
