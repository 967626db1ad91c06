package dev.shallow.io;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.shallow.ShallowException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one output policy: outputs apart from inputs, replacing only regular files and directories Shallow wrote. */
class OutputPolicyTest {
    @TempDir
    Path tmp;

    private Path model() throws IOException {
        Path m = Files.createDirectories(tmp.resolve("model"));
        Files.writeString(m.resolve("config.json"), "{}");
        return m;
    }

    private static void assertRefused(Runnable r, String... words) {
        ShallowException e = assertThrows(ShallowException.class, r::run);
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        for (String w : words) assertTrue(e.getMessage().contains(w), e.getMessage() + " should say " + w);
    }

    @Test
    void anOutputIsNeverAnInputInsideOneOrAParentOfOne() throws IOException {
        Path m = model();
        assertRefused(() -> OutputPolicy.checkDirectory(m, true, m), "is an input");
        assertRefused(() -> OutputPolicy.checkFile(m.resolve("config.json"), m), "inside an input");
        assertRefused(() -> OutputPolicy.checkDirectory(tmp, true, m), "contains an input");
        assertRefused(() -> OutputPolicy.checkFile(m.resolve("config.json"), m.resolve("config.json")), "is an input");
        OutputPolicy.checkDirectory(tmp.resolve("elsewhere"), false, m, null, tmp.resolve("missing"));
    }

    @Test
    void symbolicLinksAreResolvedWhenComparing() throws IOException {
        Path m = model();
        Path link = Files.createSymbolicLink(tmp.resolve("link"), m);
        assertRefused(() -> OutputPolicy.checkDirectory(link.resolve("sub"), true, m), "inside an input");
        assertRefused(() -> OutputPolicy.checkFile(m.resolve("config.json"), link), "inside an input");
    }

    @Test
    void aFileOutputNeverReplacesALinkADirectoryOrAFifo() throws Exception {
        Path target = Files.writeString(tmp.resolve("precious.txt"), "keep me");
        Path link = Files.createSymbolicLink(tmp.resolve("analysis.json"), target);
        assertRefused(() -> AtomicFiles.writeJson(link, JsonNodeFactory.instance.objectNode()), "symbolic link");
        assertEquals("keep me", Files.readString(target));
        assertTrue(Files.isSymbolicLink(link));
        Path dir = Files.createDirectories(tmp.resolve("d.json"));
        assertRefused(() -> OutputPolicy.checkFile(dir), "a directory");
        Path fifo = tmp.resolve("fifo.json");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        assertRefused(() -> AtomicFiles.write(fifo, f -> Files.writeString(f, "x")), "FIFO");
        Path regular = Files.writeString(tmp.resolve("old.json"), "old");
        AtomicFiles.write(regular, f -> Files.writeString(f, "new"));
        assertEquals("new", Files.readString(regular));
    }

    @Test
    void forceReplacesOnlyADirectoryShallowWrote() throws IOException {
        Path mine = Files.createDirectories(tmp.resolve("mine"));
        Files.writeString(mine.resolve("notes.txt"), "user data");
        assertRefused(() -> AtomicFiles.writeDirectory(mine, true, d -> { }), "not written by shallow", "even with --force");
        assertEquals("user data", Files.readString(mine.resolve("notes.txt")));

        Path out = tmp.resolve("out");
        AtomicFiles.writeDirectory(out, false, d -> Files.writeString(d.resolve("a"), "1"));
        assertTrue(Files.isRegularFile(out.resolve(OutputPolicy.MARKER)));
        assertRefused(() -> AtomicFiles.writeDirectory(out, false, d -> { }), "add --force");
        AtomicFiles.writeDirectory(out, true, d -> Files.writeString(d.resolve("b"), "2"));
        assertEquals(List.of(OutputPolicy.MARKER, "b"), names(out));
    }

    @Test
    void aDirectoryOutputIsNeverALink() throws IOException {
        Path real = tmp.resolve("real");
        AtomicFiles.writeDirectory(real, false, d -> Files.writeString(d.resolve("a"), "1"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
        assertRefused(() -> AtomicFiles.writeDirectory(link, true, d -> { }), "symbolic link");
        assertEquals(List.of(OutputPolicy.MARKER, "a"), names(real));
    }

    @Test
    void removeOwnedDirectoryRefusesAUsersDirectory() throws IOException {
        Path users = Files.createDirectories(tmp.resolve("sweep-x"));
        Files.writeString(users.resolve("thesis.tex"), "years of work");
        assertRefused(() -> OutputPolicy.removeOwnedDirectory(users), "not written by shallow");
        assertTrue(Files.exists(users.resolve("thesis.tex")));
        Path ours = tmp.resolve("ours");
        AtomicFiles.writeDirectory(ours, false, d -> Files.writeString(d.resolve("a"), "1"));
        OutputPolicy.removeOwnedDirectory(ours);
        assertFalse(Files.exists(ours));
    }

    @Test
    void temporariesCarryThePidAndDeadOnesAreCleanedUp() throws Exception {
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        long pid = dead.pid();
        Path staleFile = Files.writeString(tmp.resolve(".a.json.tmp-" + pid + "-1f"), "half");
        Path staleDir = Files.createDirectories(tmp.resolve(".pruned.tmp-" + pid + "-2e"));
        Files.writeString(staleDir.resolve("model.safetensors"), "half");
        Path movedAside = Files.createDirectories(tmp.resolve(".kept.old-" + pid + "-3d"));
        Files.writeString(movedAside.resolve("config.json"), "the only copy");
        Path live = Files.writeString(tmp.resolve(".b.json.tmp-" + ProcessHandle.current().pid() + "-4c"), "being written");
        AtomicFiles.writeJson(tmp.resolve("a.json"), JsonNodeFactory.instance.objectNode());
        assertFalse(Files.exists(staleFile));
        assertFalse(Files.exists(staleDir));
        assertEquals("the only copy", Files.readString(tmp.resolve("kept/config.json")), "a directory moved aside is moved back");
        assertTrue(Files.exists(live), "a live process's temporary stays");
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
