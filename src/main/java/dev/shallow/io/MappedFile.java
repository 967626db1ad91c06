package dev.shallow.io;

import dev.shallow.ShallowException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A whole file memory-mapped read-only into a shared arena (FFM), for readers whose results keep views of it. */
final class MappedFile {
    /** Reads the mapped bytes; the result owns {@code arena} and closes it. */
    interface Reader<T> {
        T read(Arena arena, MemorySegment bytes);
    }

    private MappedFile() {
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
