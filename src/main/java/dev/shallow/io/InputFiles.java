package dev.shallow.io;

import dev.shallow.ShallowException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Files Shallow reads: regular files only, since reading a FIFO or a device blocks forever or never ends. */
public final class InputFiles {
    private InputFiles() {
    }

    /** Refuses {@code file} when something other than a regular file is there (symbolic links followed); a missing file passes. */
    public static Path requireRegular(Path file) {
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw ShallowException.at(file, Files.isDirectory(file) ? "is a directory, not a file" : "is not a regular file (a FIFO, socket or device); refusing to read it");
        }
        return file;
    }

    /** The whole of regular file {@code file}; a missing or unreadable file is a one-line error naming it. */
    public static byte[] readAllBytes(Path file) {
        requireRegular(file);
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw ShallowException.at(file, "file not found");
        } catch (IOException e) {
            throw ShallowException.at(file, "cannot read: " + AtomicFiles.problem(e), e);
        }
    }
}
