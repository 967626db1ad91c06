package dev.shallow.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.shallow.cli.CliTest.assertOneLineError;
import static dev.shallow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** shallow report: the page and the plot files of a sweep; a directory that is no sweep is refused. */
class ReportCommandTest {
    @Test
    void writesThePageAndThePlots(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        assertEquals(0, SweepCommandTest.sweep(out, "0,0.2").code());
        Path html = tmp.resolve("page.html");
        CliTest.Run r = run("report", out.toString(), "--out", html.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("4 of 4 points; 7 plots in " + out.resolve("plots")), r.out());
        assertTrue(Files.readString(html).startsWith("<!DOCTYPE html>"));
        for (String name : new String[]{"task-arc_easy", "loss", "angular-distance", "block-influence", "ablation-loss"}) {
            assertTrue(Files.size(out.resolve("plots").resolve(name + ".png")) > 1000, name);
            assertTrue(Files.size(out.resolve("plots").resolve(name + ".svg")) > 1000, name);
        }
    }

    @Test
    void aDirectoryThatIsNoSweepIsRefused(@TempDir Path tmp) {
        assertOneLineError(run("report", tmp.toString()), tmp.toString(), "not a sweep directory");
    }
}
