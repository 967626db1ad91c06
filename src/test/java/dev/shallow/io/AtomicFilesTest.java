package dev.shallow.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.ShallowException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class AtomicFilesTest {
    @TempDir
    Path tmp;

    private List<Path> listing() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.sorted().toList();
        }
    }

    @Test
    void jsonIsIndentedLikePython() throws IOException {
        Path p = tmp.resolve("config.json");
        AtomicFiles.writeJson(p, new ObjectMapper().readTree("{\"a\":[1,2],\"b\":{\"c\":true}}"));
        assertEquals("{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {\n    \"c\": true\n  }\n}\n", Files.readString(p));
        assertEquals(List.of(p), listing());
    }

    @Test
    void failedDirectoryLeavesNothing() throws IOException {
        Path out = tmp.resolve("model");
        assertThrows(IllegalStateException.class, () -> AtomicFiles.writeDirectory(out, false, dir -> {
            Files.writeString(dir.resolve("config.json"), "{}");
            throw new IllegalStateException("boom");
        }));
        assertEquals(List.of(), listing());
    }

    @Test
    void failedOverwriteKeepsTheOldDirectory() throws IOException {
        Path out = tmp.resolve("model");
        AtomicFiles.writeDirectory(out, false, dir -> Files.writeString(dir.resolve("config.json"), "old"));
        assertThrows(ShallowException.class, () -> AtomicFiles.writeDirectory(out, true, dir -> {
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(out.resolve("config.json")));
        assertEquals(List.of(out), listing());
    }

    @Test
    void overwriteReplacesTheWholeDirectory() throws IOException {
        Path out = tmp.resolve("model");
        AtomicFiles.writeDirectory(out, false, dir -> Files.writeString(dir.resolve("stale.bin"), "x"));
        AtomicFiles.writeDirectory(out, true, dir -> Files.writeString(dir.resolve("config.json"), "new"));
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(List.of(out.resolve(OutputPolicy.MARKER), out.resolve("config.json")), s.sorted().toList());
        }
        assertEquals(List.of(out), listing());
    }

    @Test
    void refusesAFileWhereTheDirectoryGoes() throws IOException {
        Path out = Files.writeString(tmp.resolve("model"), "a file");
        ShallowException e = assertThrows(ShallowException.class, () -> AtomicFiles.writeDirectory(out, true, dir -> { }));
        assertEquals(out + ": exists and is a regular file, not a directory; refusing to replace it", e.getMessage());
    }

    @Test
    void createsMissingParents() throws IOException {
        Path out = tmp.resolve("a/b/model");
        AtomicFiles.writeDirectory(out, false, dir -> Files.writeString(dir.resolve("x"), "y"));
        assertEquals("y", Files.readString(out.resolve("x")));
    }
}
