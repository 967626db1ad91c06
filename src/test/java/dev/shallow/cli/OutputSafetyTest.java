package dev.shallow.cli;

import dev.shallow.ChildJvm;
import dev.shallow.Shared;
import dev.shallow.io.LockHolder;
import dev.shallow.io.OutputPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static dev.shallow.cli.CliTest.assertOneLineError;
import static dev.shallow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue #23's data-loss cases through the CLI: no command writes over an input, a user's directory, a link or a device. */
class OutputSafetyTest {
    @TempDir
    Path tmp;

    private Path model() throws IOException {
        return Shared.copyModel(Shared.model("stories260K"), tmp.resolve("models").resolve("m"));
    }

    private static void assertIntact(Path model) throws IOException {
        assertArrayEquals(Files.readAllBytes(Shared.model("stories260K").resolve("model.safetensors")), Files.readAllBytes(model.resolve("model.safetensors")));
        assertArrayEquals(Files.readAllBytes(Shared.model("stories260K").resolve("config.json")), Files.readAllBytes(model.resolve("config.json")));
    }

    @Test
    void pruneForceIntoTheDirectoryHoldingTheModelKeepsTheModel() throws IOException {
        Path m = model();
        assertOneLineError(run("prune", m.toString(), "--remove", "1", "--out", m.getParent().toString(), "--force"), "contains an input");
        assertOneLineError(run("prune", m.toString(), "--remove", "1", "--out", m.toString(), "--force"), "is an input");
        assertOneLineError(run("prune", m.toString(), "--remove", "1", "--out", m.resolve("pruned").toString()), "inside an input");
        assertIntact(m);
        assertEquals(5, Files.list(m).count());
    }

    @Test
    void demoDoesNotReplaceAUsersDirectory() throws IOException {
        Path mine = Files.createDirectories(tmp.resolve("mine"));
        Files.writeString(mine.resolve("notes.txt"), "my notes");
        assertOneLineError(run("demo", "--out", mine.toString(), "--no-sweep"), mine.toString(), "not written by shallow");
        assertEquals("my notes", Files.readString(mine.resolve("notes.txt")));
        Path sweep = Files.createDirectories(tmp.resolve("sweep-stories260K"));
        Files.writeString(sweep.resolve("thesis.tex"), "years");
        assertOneLineError(run("demo", "--out", tmp.resolve("pruned").toString()), sweep.toString(), "not written by shallow");
        assertEquals("years", Files.readString(sweep.resolve("thesis.tex")));
        assertFalse(Files.exists(tmp.resolve("pruned")), "refused before anything was written");
    }

    @Test
    void fileOutputsNeverReplaceAnInputALinkOrADevice() throws IOException {
        Path m = model();
        assertOneLineError(run("analyse", m.toString(), "--samples", "2", "--seq-len", "16", "--out", m.resolve("config.json").toString()), "inside an input");
        assertOneLineError(run("plan", m.toString(), "--strategy", "sequential", "--n", "1", "--out", m.resolve("config.json").toString()), "inside an input");
        assertOneLineError(run("eval", m.toString(), "--tasks", "lambada_openai", "--limit", "1", "--out", m.resolve("config.json").toString()), "inside an input");
        assertIntact(m);
        Path precious = Files.writeString(tmp.resolve("precious.txt"), "keep");
        Path link = Files.createSymbolicLink(tmp.resolve("plan.json"), precious);
        assertOneLineError(run("plan", m.toString(), "--strategy", "sequential", "--n", "1", "--out", link.toString()), "symbolic link");
        assertEquals("keep", Files.readString(precious));
        assertOneLineError(run("plan", m.toString(), "--strategy", "sequential", "--n", "1", "--out", "/dev/null"), "/dev/null", "not a regular file");
        assertTrue(Files.exists(Path.of("/dev/null")) && !Files.isRegularFile(Path.of("/dev/null")));
        Path run = Files.createDirectories(tmp.resolve("run"));
        Files.writeString(run.resolve("results.jsonl"), "");
        assertOneLineError(run("report", run.toString(), "--out", run.resolve("results.jsonl").toString()), "is an input");
    }

    @Test
    void aSecondSweepOrHealOnTheSameDirectoryIsRefusedWithTheHoldersPid() throws Exception {
        Path out = tmp.resolve("run");
        Process holder = ChildJvm.of(LockHolder.class, out.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            assertEquals("locked", new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8)).readLine());
            assertOneLineError(run("sweep", "--fractions", "0,0.2", "--strategies", "sequential", "--loss-data", "data/stories260K-heldout-16.jsonl",
                    "--data", "data/stories260K-train-64.jsonl", "--samples", "4", "--seq-len", "32", "--out", out.toString()), "pid " + holder.pid());
            CliTest.Run heal = run("heal", Shared.model("stories260K").toString(), "--data", "data/stories260K-train-64.jsonl", "--tokens", "1024",
                    "--batch", "2", "--seq-len", "64", "--heldout-samples", "2", "--out", out.toString());
            assertEquals(1, heal.code(), heal.err());
            assertTrue(heal.err().strip().lines().reduce((a, b) -> b).orElseThrow().contains("pid " + holder.pid()), heal.err());
        } finally {
            holder.destroyForcibly();
            holder.waitFor(30, TimeUnit.SECONDS);
        }
        assertTrue(OutputPolicy.holdsOnlyShallowFiles(out), "nothing written by the refused runs");
    }
}
