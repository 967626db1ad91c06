package dev.shallow.convert;

import dev.shallow.ShallowException;
import dev.shallow.io.OutputPolicy;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** The rules for a GGUF file Shallow writes, checked before any work starts. */
public final class GgufOutputFile {
    private GgufOutputFile() {
    }

    /**
     * {@code out} is named *.gguf (what Shallow and llama.cpp read as one), apart from every input ({@link OutputPolicy}),
     * replaces at most a regular file, and an existing one only with {@code force}.
     */
    public static void check(Path out, boolean force, Path... inputs) {
        if (!out.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")) {
            throw ShallowException.at(out, "a GGUF output must be named *.gguf");
        }
        OutputPolicy.checkFile(out, inputs);
        if (!force && Files.exists(out, LinkOption.NOFOLLOW_LINKS)) throw ShallowException.at(out, "already exists; add --force to replace it");
    }
}
