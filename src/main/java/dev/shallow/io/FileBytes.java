package dev.shallow.io;

import dev.shallow.ShallowException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Whole small files read into memory, every failure a one-line {@link ShallowException} naming the file. */
public final class FileBytes {
    private FileBytes() {
    }

    public static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw ShallowException.at(file, "file not found");
        } catch (IOException e) {
            throw ShallowException.at(file, "cannot read: " + e.getMessage(), e);
        }
    }
}
