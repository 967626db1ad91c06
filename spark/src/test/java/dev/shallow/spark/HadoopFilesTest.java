package dev.shallow.spark;

import dev.shallow.ShallowException;
import dev.shallow.cluster.FileSources;
import dev.shallow.data.Datasets;
import dev.shallow.data.DocumentSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model or data file at a URI read through Hadoop's FileSystem (scheme testfs://, the local disk behind {@link CountingFileSystem}): copied
 * once into the cache, the copy equal to the original file by file; fetched again only when a file changes; a scheme without
 * a filesystem and a missing path are one-line errors naming the URI.
 */
class HadoopFilesTest {
    @TempDir
    Path tmp;

    private static URI testfs(Path p) {
        return URI.create("testfs://" + p.toAbsolutePath());
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(dir::relativize).sorted().toList();
        }
    }

    @Test
    void aModelDirectoryIsCopiedOnceAndAgainWhenAFileChanges() throws IOException {
        Path remote = tmp.resolve("remote/stories260K"), cache = tmp.resolve("cache");
        Files.createDirectories(remote);
        for (Path f : files(SweepRuns.MODEL)) Files.copy(SweepRuns.MODEL.resolve(f), remote.resolve(f));
        int before = CountingFileSystem.OPENED.get();
        Path copy = new HadoopFiles().fetch(testfs(remote), cache);
        assertEquals("stories260K", copy.getFileName().toString());
        assertEquals(files(remote), files(copy));
        for (Path f : files(remote)) assertArrayEquals(Files.readAllBytes(remote.resolve(f)), Files.readAllBytes(copy.resolve(f)), f.toString());
        assertEquals(files(remote).size(), CountingFileSystem.OPENED.get() - before, "each file read once");

        assertEquals(copy, new HadoopFiles().fetch(testfs(remote), cache));
        assertEquals(files(remote).size(), CountingFileSystem.OPENED.get() - before, "a second fetch reads nothing");

        Path config = remote.resolve("config.json");
        Files.setLastModifiedTime(config, FileTime.fromMillis(Files.getLastModifiedTime(config).toMillis() + 60_000));
        Path again = new HadoopFiles().fetch(testfs(remote), cache);
        assertNotEquals(copy, again, "a changed file is fetched into a new entry");
        assertEquals(2 * files(remote).size(), CountingFileSystem.OPENED.get() - before);
        try (Stream<Path> s = Files.list(cache)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().contains(".tmp-")), "no temporary left");
        }
    }

    @Test
    void aSingleFileIsCopiedUnderItsName() throws IOException {
        Path remote = tmp.resolve("model.gguf");
        Files.write(remote, new byte[]{1, 2, 3});
        Path copy = new HadoopFiles().fetch(testfs(remote), tmp.resolve("cache"));
        assertEquals("model.gguf", copy.getFileName().toString());
        assertArrayEquals(new byte[]{1, 2, 3}, Files.readAllBytes(copy));
    }

    @Test
    void aSchemeWithoutAFileSystemOrAMissingPathIsAOneLineErrorNamingTheUri() {
        ShallowException e = assertThrows(ShallowException.class, () -> new HadoopFiles().fetch(URI.create("nofs://host/models/m"), tmp));
        assertTrue(e.getMessage().startsWith("nofs://host/models/m: cannot read through Hadoop's FileSystem: "), e.getMessage());
        assertTrue(e.getMessage().endsWith("(is the scheme's connector on the classpath?)"), e.getMessage());
        URI missing = testfs(tmp.resolve("absent"));
        e = assertThrows(ShallowException.class, () -> new HadoopFiles().fetch(missing, tmp.resolve("cache")));
        assertTrue(e.getMessage().startsWith(missing + ": cannot read through Hadoop's FileSystem: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    /** Calibration or healing data at a URI: read from its cached copy, the same documents as the file itself. */
    @Test
    void dataAtAUriIsReadFromItsCopy() {
        System.setProperty("shallow.remote.cache", tmp.resolve("cache").toString());
        try {
            Path file = Path.of("data/stories260K-train-64.jsonl").toAbsolutePath();
            DocumentSource remote = Datasets.resolve(testfs(file).toString(), "text", SweepRuns.shared().resolve("data"));
            assertTrue(remote.file().startsWith(tmp.resolve("cache")), remote.file().toString());
            assertEquals(Datasets.resolve(file.toString(), "text", SweepRuns.shared().resolve("data")).read(), remote.read());
        } finally {
            System.clearProperty("shallow.remote.cache");
        }
    }

    /** FileSources finds this module's HadoopFiles and ships the URI, not the local copy, to cluster tasks. */
    @Test
    void modelSourcesFetchesThroughHadoopAndShipsTheUri() {
        System.setProperty("shallow.remote.cache", tmp.resolve("cache").toString());
        try {
            String uri = testfs(SweepRuns.MODEL).toString();
            Path copy = FileSources.local(uri);
            assertTrue(copy.startsWith(tmp.resolve("cache")), copy.toString());
            assertEquals(uri, FileSources.shipped(copy));
            assertEquals(SweepRuns.MODEL.toString(), FileSources.shipped(SweepRuns.MODEL));
        } finally {
            System.clearProperty("shallow.remote.cache");
        }
    }
}
