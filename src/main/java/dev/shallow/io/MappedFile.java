package dev.shallow.io;

import dev.shallow.ShallowException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A whole file memory-mapped read-only into a shared arena (FFM), for readers whose results keep views of it; and writable
 * scratch memory mapped the same way.
 */
public final class MappedFile {
    /** Reads the mapped bytes; the result owns {@code arena} and closes it. */
    interface Reader<T> {
        T read(Arena arena, MemorySegment bytes);
    }

    private MappedFile() {
    }

    /**
     * {@code bytes} of zeroed, writable memory that is a file mapping like the checkpoints' weights (a scratch file in /dev/shm,
     * else the temporary directory, deleted once mapped; unmapped when the segment is unreachable). Tensors derived from a
     * checkpoint live here so that every weight the kernels read is the same kind of segment: a copy in plain native memory
     * beside mapped weights makes the JIT's profile of the kernels' loads see two segment classes, which measured the Q8_0
     * decode GEMV 2x slower (TinyLlama's layers: 11 against 21.5 GB/s). Plain native memory if no scratch file can be made.
     */
    public static MemorySegment scratch(long bytes) {
        Path shm = Path.of("/dev/shm");
        Path dir = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
        Path file = null;
        try {
            if (Files.getFileStore(dir).getUsableSpace() < 2 * bytes) return Arena.ofAuto().allocate(bytes, 64);
            file = Files.createTempFile(dir, "shallow-scratch-", ".bin");
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                // written out first, so that a full disk or /dev/shm is an error here rather than a fault when the mapping is written
                ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(bytes, 1 << 20));
                for (long at = 0; at < bytes; ) at += ch.write(zeros.clear().limit((int) Math.min(zeros.capacity(), bytes - at)), at);
                return ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes, Arena.ofAuto());
            }
        } catch (IOException | UnsupportedOperationException e) {
            return Arena.ofAuto().allocate(bytes, 64);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) { // the mapping stays valid; a leftover file in a temporary directory is all that remains
                }
            }
        }
    }

    /** Maps {@code path} and hands it to {@code reader}; if reading fails the arena is closed and the error passed on. */
    static <T> T read(Path path, Reader<T> reader) {
        InputFiles.requireRegular(path);
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return reader.read(arena, ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena));
        } catch (NoSuchFileException e) {
            arena.close();
            throw ShallowException.at(path, "file not found");
        } catch (IOException e) {
            arena.close();
            throw ShallowException.at(path, "cannot read: " + AtomicFiles.problem(e), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }
}
