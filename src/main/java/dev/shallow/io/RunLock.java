package dev.shallow.io;

import dev.shallow.ShallowException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One process at a time on a run's output: an OS lock ({@link FileChannel#tryLock}) on a lock file holding the holder's pid.
 * A second process is refused with one line naming that pid; a killed holder's lock dies with it, so the next run takes
 * over. The lock file is removed on {@link #close}, and so is a directory the lock created if the run left nothing in it.
 */
public final class RunLock implements AutoCloseable {
    /** The lock file inside a locked directory. */
    public static final String FILE = ".shallow-lock";
    /** The lock files this process holds. */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    /** The directory this lock created, or null. */
    private Path created;

    private RunLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks run directory {@code dir} for this process: creates it (marked as Shallow's) if absent, takes the lock, then
     * removes what dead processes left in it.
     */
    public static RunLock directory(Path dir) {
        boolean absent = !Files.exists(dir, LinkOption.NOFOLLOW_LINKS);
        OutputPolicy.createDirectory(dir);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) throw ShallowException.at(dir, "exists and is not a directory");
        RunLock lock = acquire(dir.resolve(FILE), dir);
        if (absent) lock.created = dir;
        AtomicFiles.removeStaleTemporaries(dir);
        return lock;
    }

    /** Locks output file {@code out} for this process, with the lock file ".NAME.shallow-lock" beside it. */
    public static RunLock file(Path out) {
        Path abs = out.toAbsolutePath();
        return acquire(abs.resolveSibling("." + abs.getFileName() + FILE), out);
    }

    private static RunLock acquire(Path file, Path what) {
        // a second channel on the file would release this process's OS lock when closed, so this process checks its own first
        if (!HELD.add(file.toAbsolutePath().normalize())) {
            throw ShallowException.at(what, "is in use by this process (pid " + ProcessHandle.current().pid() + ")");
        }
        try {
            return lockAs(file, what);
        } catch (RuntimeException e) {
            HELD.remove(file.toAbsolutePath().normalize());
            throw e;
        }
    }

    /**
     * Opens and locks the file named {@code file}, creating it if absent. The file is identified (fileKey, from stat, which
     * opens nothing: closing any other descriptor of a locked file would release the lock) before opening and after
     * locking; a holder that removed it in between makes us try again on the file now at that name.
     */
    private static RunLock lockAs(Path file, Path what) {
        while (true) {
            FileChannel ch = null;
            try {
                Object before = fileKey(file);
                if (before == null) {
                    createIfAbsent(file);
                    continue;
                }
                ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
                FileLock lock = ch.tryLock();
                if (lock == null) throw ShallowException.at(what, "is in use by another shallow process (pid " + holder(ch)
                        + "); wait for it to finish or choose another output");
                if (!before.equals(fileKey(file))) {
                    ch.close();
                    continue;
                }
                ch.truncate(0);
                ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
                ch.force(false);
                return new RunLock(file, ch, lock);
            } catch (NoSuchFileException e) {
                closeQuietly(ch); // removed by its holder between stat and open: try again
            } catch (IOException e) {
                closeQuietly(ch);
                throw ShallowException.at(file, "cannot lock: " + AtomicFiles.problem(e), e);
            } catch (RuntimeException e) {
                closeQuietly(ch);
                throw e;
            }
        }
    }

    /** The identity (device and inode) of what is named {@code file}, or null when nothing is. */
    private static Object fileKey(Path file) throws IOException {
        try {
            Object key = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            return key != null ? key : "a file system without file keys"; // then a removal in between goes unnoticed
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static void createIfAbsent(Path file) throws IOException {
        try {
            Files.createFile(file);
        } catch (FileAlreadyExistsException e) {
            // another process made it first: lock that one
        }
    }

    /** The pid written in the lock file ("unknown" while the holder has not written it yet). */
    private static String holder(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(32);
        ch.read(b, 0);
        String pid = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).strip();
        return pid.matches("\\d+") ? pid : "unknown";
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch == null) return;
        try {
            ch.close();
        } catch (IOException ignored) {
            // the error being reported matters more
        }
    }

    /** Removes the lock file, then releases the lock; removes the directory it created if nothing but the marker is left. */
    @Override
    public void close() {
        try {
            Files.deleteIfExists(file);
            if (created != null && OutputPolicy.holdsOnlyShallowFiles(created)) AtomicFiles.deleteTreeQuietly(created);
            lock.release();
            channel.close();
            HELD.remove(file.toAbsolutePath().normalize());
        } catch (IOException e) {
            throw ShallowException.at(file, "cannot release the lock: " + AtomicFiles.problem(e), e);
        }
    }
}
