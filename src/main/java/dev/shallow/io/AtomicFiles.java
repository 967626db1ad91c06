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
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    /** ".NAME.tmp-PID-RANDOM" (being written) or ".NAME.old-PID-RANDOM" (being replaced). */
    private static final Pattern TEMPORARY = Pattern.compile("\\.(.+)\\.(tmp|old)-(\\d{1,18})-[0-9a-f]+");

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

    /** Writes {@code target} through a temporary file in the same directory; replaces an existing regular file, nothing else. */
    public static void write(Path target, FileContents contents) {
        Path tmp = null;
        try {
            OutputPolicy.requireReplaceableFile(target);
            removeStaleTemporaries(parentOf(target));
            tmp = Files.createFile(sibling(target, "tmp"));
            contents.writeTo(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw ShallowException.at(target, "cannot write: " + problem(e), e);
        } finally {
            if (tmp != null) deleteQuietly(tmp);
        }
    }

    /** Writes {@code node} as indented JSON with a final newline. */
    public static void writeJson(Path target, JsonNode node) {
        write(target, tmp -> Files.write(tmp, (JSON.writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Writes directory {@code out} by filling a temporary directory beside it, marking it as Shallow's ({@link OutputPolicy#MARKER})
     * and renaming it into place. An existing {@code out} must be empty, or Shallow's and {@code overwrite} given
     * ({@link OutputPolicy}); it is then replaced whole (moved aside, the new one moved in, the old one deleted).
     */
    public static void writeDirectory(Path out, boolean overwrite, DirContents contents) {
        Path tmp = null, old = null;
        try {
            OutputPolicy.requireReplaceableDirectory(out, overwrite);
            Path parent = parentOf(out);
            Files.createDirectories(parent);
            removeStaleTemporaries(parent);
            tmp = Files.createDirectory(sibling(out, "tmp"));
            contents.writeInto(tmp);
            OutputPolicy.mark(tmp);
            if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
                old = sibling(out, "old");
                Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (old != null && !Files.exists(out, LinkOption.NOFOLLOW_LINKS)) restore(old, out);
            throw ShallowException.at(out, "cannot write: " + problem(e), e);
        } catch (ShallowException e) { // a file inside failed: name it where the user will look for it, not by the temporary name
            throw tmp == null ? e : new ShallowException(e.getMessage().replace(tmp.toString(), out.toAbsolutePath().toString()), e);
        } finally {
            if (tmp != null) deleteTreeQuietly(tmp);
            if (old != null && Files.exists(out, LinkOption.NOFOLLOW_LINKS)) deleteTreeQuietly(old);
        }
    }

    /** An I/O error in a few words: "No space left on device", "Permission denied: PATH", ... */
    static String problem(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
        return e.getClass().getSimpleName() + (e.getMessage() != null ? ": " + e.getMessage() : "");
    }

    /**
     * A fresh name ".NAME.KIND-PID-RANDOM" in the target's directory (same file system, so rename is atomic); the process id
     * tells a later run whether its writer is still alive.
     */
    private static Path sibling(Path target, String kind) {
        Path abs = target.toAbsolutePath();
        String random = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        return abs.resolveSibling("." + abs.getFileName() + "." + kind + "-" + ProcessHandle.current().pid() + "-" + random);
    }

    /** True for the names {@link #sibling} makes. */
    static boolean isTemporary(String name) {
        return TEMPORARY.matcher(name).matches();
    }

    /**
     * Removes what processes no longer running left in {@code dir}: temporaries being written are deleted; a directory moved
     * aside whose replacement never arrived is moved back (a run killed between the two renames loses nothing).
     */
    public static void removeStaleTemporaries(Path dir) {
        List<Path> entries;
        try (Stream<Path> s = Files.list(dir)) {
            entries = s.sorted().toList();
        } catch (IOException e) {
            return; // nothing to clean where nothing can be listed; the write that follows reports the real problem
        }
        for (Path p : entries) {
            Matcher m = TEMPORARY.matcher(p.getFileName().toString());
            if (!m.matches() || ProcessHandle.of(Long.parseLong(m.group(3))).isPresent()) continue;
            Path target = p.resolveSibling(m.group(1));
            if (m.group(2).equals("old") && !Files.exists(target, LinkOption.NOFOLLOW_LINKS)) restore(p, target);
            else deleteTreeQuietly(p);
        }
    }

    private static Path parentOf(Path p) {
        return p.toAbsolutePath().getParent();
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
