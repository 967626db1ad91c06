package dev.shallow.io;

import dev.shallow.ShallowException;
import dev.shallow.Version;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;

/**
 * Where Shallow may write, one set of rules for every command:
 * <ul>
 * <li>an output is never an input, inside one, or a parent of one (compared as real paths, symbolic links resolved);</li>
 * <li>an output file replaces at most a regular file: never a symbolic link (nor what it points to), a directory, a FIFO or a device;</li>
 * <li>an output directory replaces only a directory Shallow wrote (it holds {@link #MARKER}), and only when asked
 *     ({@code force}); an empty directory may be filled; a symbolic link is never followed.</li>
 * </ul>
 * Commands check their outputs against their inputs before any work starts; {@link AtomicFiles} checks the target rules
 * again at every write.
 */
public final class OutputPolicy {
    /** Left in every directory Shallow writes whole: the sign that {@code --force} may replace it. */
    public static final String MARKER = ".shallow-output";
    private static final String MARKER_TEXT = "written by shallow " + Version.VERSION + "; shallow may replace this directory with --force\n";

    private OutputPolicy() {
    }

    /** An output file {@code out}, checked before a command starts: apart from every input, replacing at most a regular file. */
    public static void checkFile(Path out, Path... inputs) {
        requireApart(out, inputs);
        requireReplaceableFile(out);
    }

    /** An output directory {@code out}, checked before a command starts: apart from every input, replaceable as {@link #requireReplaceableDirectory} says. */
    public static void checkDirectory(Path out, boolean force, Path... inputs) {
        requireApart(out, inputs);
        requireReplaceableDirectory(out, force);
    }

    /** Refuses {@code out} when it is one of {@code inputs} (null entries and missing paths ignored), lies inside one, or contains one. */
    public static void requireApart(Path out, Path... inputs) {
        Path o = real(out);
        for (Path input : inputs) {
            if (input == null || !Files.exists(input)) continue;
            Path in = real(input);
            if (o.equals(in)) throw ShallowException.at(out, "is an input of this command (" + input + "); refusing to write over it");
            if (o.startsWith(in)) throw ShallowException.at(out, "lies inside an input of this command (" + input + "); write elsewhere");
            if (in.startsWith(o)) throw ShallowException.at(out, "contains an input of this command (" + input + "); writing it could destroy that input");
        }
    }

    /** Refuses output {@code out} when it is {@code other} (another output of the same command; null ignored), lies inside it or contains it. */
    public static void requireApartFromOutput(Path out, Path other) {
        if (other == null) return;
        Path o = real(out), p = real(other);
        if (o.startsWith(p) || p.startsWith(o)) {
            throw ShallowException.at(out, "is, lies inside or contains " + other + ", another output of this command; write the two apart");
        }
    }

    /** A file may be written at {@code out}: nothing is there, or a regular file (not through a symbolic link). */
    static void requireReplaceableFile(Path out) {
        BasicFileAttributes a = attributes(out);
        if (a == null || a.isRegularFile()) return;
        throw ShallowException.at(out, "exists and is " + kind(a) + ", not a regular file; refusing to replace it");
    }

    /**
     * A directory may be written at {@code out}: nothing is there, an empty directory, or (with {@code force}) a directory
     * holding {@link #MARKER}; never a symbolic link, a file or a directory someone else made.
     */
    static void requireReplaceableDirectory(Path out, boolean force) {
        BasicFileAttributes a = attributes(out);
        if (a == null) return;
        if (!a.isDirectory()) throw ShallowException.at(out, "exists and is " + kind(a) + ", not a directory; refusing to replace it");
        if (holdsOnlyShallowFiles(out)) return;
        if (!Files.isRegularFile(out.resolve(MARKER), LinkOption.NOFOLLOW_LINKS)) {
            throw ShallowException.at(out, "exists, is not empty and was not written by shallow (no " + MARKER + "); refusing to replace it, "
                    + "even with --force: choose another output");
        }
        if (!force) throw ShallowException.at(out, "already exists (written by shallow); add --force to replace it");
    }

    /** True when {@code dir} holds nothing but Shallow's own bookkeeping (marker, lock, temporaries). */
    public static boolean holdsOnlyShallowFiles(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.allMatch(p -> isShallowFile(p.getFileName().toString()));
        } catch (IOException e) {
            throw ShallowException.at(dir, "cannot list: " + e.getMessage(), e);
        }
    }

    /** The names Shallow keeps for itself inside a directory: the marker, the run lock and temporaries. */
    public static boolean isShallowFile(String name) {
        return name.equals(MARKER) || name.equals(RunLock.FILE) || AtomicFiles.isTemporary(name);
    }

    /** Deletes directory {@code dir} if Shallow wrote it (a previous run's output); refuses anything else. */
    public static void removeOwnedDirectory(Path dir) {
        if (attributes(dir) == null) return;
        requireReplaceableDirectory(dir, true);
        AtomicFiles.deleteTreeQuietly(dir);
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) throw ShallowException.at(dir, "cannot be removed completely");
    }

    /** Creates directory {@code dir} (and its parents) with the marker, if it does not exist. */
    public static void createDirectory(Path dir) {
        if (attributes(dir) != null) return;
        try {
            Files.createDirectories(dir);
            mark(dir);
        } catch (IOException e) {
            throw ShallowException.at(dir, "cannot create: " + e.getMessage(), e);
        }
    }

    /** Leaves the marker in {@code dir}. */
    static void mark(Path dir) throws IOException {
        Files.writeString(dir.resolve(MARKER), MARKER_TEXT, StandardCharsets.UTF_8);
    }

    /** What is at {@code p} itself (a symbolic link is not followed), or null when nothing is. */
    private static BasicFileAttributes attributes(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return null;
        }
    }

    private static String kind(BasicFileAttributes a) {
        if (a.isSymbolicLink()) return "a symbolic link";
        if (a.isDirectory()) return "a directory";
        if (a.isRegularFile()) return "a regular file";
        return "a FIFO, socket or device";
    }

    /** The real path of {@code p}: that of its nearest existing ancestor (links resolved) with the rest of {@code p} appended. */
    static Path real(Path p) {
        Path abs = p.toAbsolutePath().normalize(), existing = abs;
        while (existing != null && !Files.exists(existing)) existing = existing.getParent();
        if (existing == null) return abs;
        try {
            return existing.toRealPath().resolve(existing.relativize(abs));
        } catch (IOException e) {
            throw ShallowException.at(p, "cannot resolve: " + e.getMessage(), e);
        }
    }

    /** {@code path} when it names an existing file or directory (an input given as a dataset name does not), else null. */
    public static Path existing(String path) {
        if (path == null) return null;
        try {
            Path p = Path.of(path);
            return Files.exists(p) ? p : null;
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
