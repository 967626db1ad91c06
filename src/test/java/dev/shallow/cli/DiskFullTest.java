package dev.shallow.cli;

import dev.shallow.Shared;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static dev.shallow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A full disk during prune and a heal checkpoint, on a 2 MiB tmpfs (mounting needs root; skipped with a message otherwise):
 * one line naming the path, nothing half-written, the input untouched.
 */
class DiskFullTest {
    @TempDir
    Path tmp;
    private Path small;

    @BeforeEach
    void mountSmallFileSystem() throws Exception {
        small = Files.createDirectories(tmp.resolve("small"));
        int code = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", small.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        Assumptions.assumeTrue(code == 0, "skipped: mounting a size-limited tmpfs needs root (mount exit " + code + ")");
    }

    @AfterEach
    void unmount() throws Exception {
        new ProcessBuilder("umount", small.toString()).inheritIO().start().waitFor();
    }

    /** Fills the small file system but {@code leave} bytes. */
    private void fill(long leave) throws IOException {
        long free = Files.getFileStore(small).getUsableSpace();
        Files.write(small.resolve("filler"), new byte[(int) Math.max(0, free - leave)]);
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.walk(small)) {
            return s.map(p -> small.relativize(p).toString()).filter(n -> !n.isEmpty()).sorted().toList();
        }
    }

    @Test
    void pruneOnAFullDiskFailsInOneLineAndLeavesNothing() throws IOException {
        Path m = Shared.copyModel(Shared.model("stories260K"), tmp.resolve("m"));
        fill(300_000);
        CliTest.Run r = run("prune", m.toString(), "--remove", "1", "--out", small.resolve("pruned").toString());
        CliTest.assertOneLineError(r, small.resolve("pruned").toString(), "No space left on device");
        assertEquals(1, r.code());
        assertEquals(List.of("filler"), names(), "nothing half-written");
        assertArrayEquals(Files.readAllBytes(Shared.model("stories260K").resolve("model.safetensors")), Files.readAllBytes(m.resolve("model.safetensors")));
    }

    @Test
    void aHealCheckpointOnAFullDiskFailsInOneLineAndLeavesNothing() throws IOException {
        fill(400_000);
        Path out = small.resolve("heal");
        CliTest.Run r = run("heal", Shared.model("stories260K").toString(), "--data", "data/stories260K-train-64.jsonl", "--heldout-samples", "2",
                "--tokens", "512", "--batch", "2", "--seq-len", "128", "--out", out.toString());
        assertEquals(1, r.code(), r.err());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.startsWith("shallow: " + out.resolve("checkpoint")) && last.contains("No space left on device"), last);
        assertEquals(List.of("filler"), names(), "nothing half-written; the empty OUT the run created is removed");
    }
}
