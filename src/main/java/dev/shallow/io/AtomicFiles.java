package dev.shallow.io;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.shallow.ShallowException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Files and directories written under a temporary name beside their target and moved into place
 * (rename, ATOMIC_MOVE) only once complete: a reader never sees a half-written file, and a failed
 * write leaves nothing behind.
 */
public final class AtomicFiles {
    /** JSON as Python's {@code json.dump(indent=2)} lays it out: two-space indent, {@code "key": value}. */
    private static final ObjectWriter JSON = new ObjectMapper().writer(new DefaultPrettyPrinter()
            .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n")));

    private AtomicFiles() {
    }

    /** Writes the complete contents of a file at the (temporary) path it is given. */
    @FunctionalInterface
    public interface FileContents {
        void writeTo(Path tmp) throws IOException;
    }

    /** Writes the complete contents of a directory into the (temporary, empty) directory it is given. */
    @FunctionalInterface
    public interface DirContents {
        void writeInto(Path tmpDir) throws IOException;
    }

    /** Writes {@code target} through a temporary file in the same directory; replaces an existing file. */
    public static void write(Path target, FileContents contents) {
        Path tmp = null;
        try {
            tmp = Files.createFile(sibling(target, "tmp"));
            contents.writeTo(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw ShallowException.at(target, "cannot write: " + e, e);
        } finally {
            if (tmp != null) deleteQuietly(tmp);
        }
    }

    /** Writes {@code node} as indented JSON with a final newline. */
    public static void writeJson(Path target, JsonNode node) {
        write(target, tmp -> Files.write(tmp, (JSON.writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Writes directory {@code out} by filling a temporary directory beside it and renaming that into
     * place. An existing non-empty {@code out} is refused unless {@code overwrite}; then it is
     * replaced whole (moved aside, the new one moved in, the old one deleted).
     */
    public static void writeDirectory(Path out, boolean overwrite, DirContents contents) {
        Path tmp = null, old = null;
        try {
            if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
                if (!Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS)) throw ShallowException.at(out, "exists and is not a directory");
                if (!isEmpty(out) && !overwrite) throw ShallowException.at(out, "already exists and is not empty; refusing to overwrite it");
            }
            Files.createDirectories(out.toAbsolutePath().getParent());
            tmp = Files.createDirectory(sibling(out, "tmp"));
            contents.writeInto(tmp);
            if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
                old = sibling(out, "old");
                Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (old != null && !Files.exists(out, LinkOption.NOFOLLOW_LINKS)) restore(old, out);
            throw ShallowException.at(out, "cannot write: " + e, e);
        } finally {
            if (tmp != null) deleteTreeQuietly(tmp);
            if (old != null && Files.exists(out, LinkOption.NOFOLLOW_LINKS)) deleteTreeQuietly(old);
        }
    }

    /** A fresh name ".NAME.KIND-RANDOM" in the target's directory (same file system, so rename is atomic). */
    private static Path sibling(Path target, String kind) {
        Path abs = target.toAbsolutePath();
        String random = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        return abs.resolveSibling("." + abs.getFileName() + "." + kind + "-" + random);
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private static void restore(Path old, Path out) {
        try {
            Files.move(old, out, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException ignored) {
            // the old directory stays under its temporary name; the error being reported matters more
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // best effort: a leftover hidden temp file is harmless
        }
    }

    /** Deletes a directory tree, best effort (what cannot be deleted stays). */
    public static void deleteTreeQuietly(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(AtomicFiles::deleteQuietly);
        } catch (IOException ignored) {
            // best effort, as above
        }
    }
}
