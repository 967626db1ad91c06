package dev.shallow;

import java.nio.file.Path;

/**
 * An error the user can act on: its message is one line naming the file (or input) and the problem.
 * The CLI prints the message alone and exits non-zero.
 */
public class ShallowException extends RuntimeException {
    public ShallowException(String message) {
        super(message);
    }

    public ShallowException(String message, Throwable cause) {
        super(message, cause);
    }

    /** "FILE: problem" — the form every input error takes. */
    public static ShallowException at(Path file, String problem) {
        return new ShallowException(file + ": " + problem);
    }

    public static ShallowException at(Path file, String problem, Throwable cause) {
        return new ShallowException(file + ": " + problem, cause);
    }
}
