package dev.shallow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Locates ../shared (models, data, goldens) for tests: system property shallow.shared, else ../shared. */
public final class Shared {
    private Shared() {
    }

    public static Path root() {
        Path p = Path.of(System.getProperty("shallow.shared", "../shared"));
        if (!Files.isDirectory(p)) throw new IllegalStateException("shared data not found at " + p.toAbsolutePath());
        return p;
    }

    public static Path model(String name) {
        return root().resolve("models").resolve(name);
    }

    public static Path golden(String name) {
        return root().resolve("golden").resolve(name);
    }

    /** Copies a model directory's files into {@code to} so a test can damage or edit them. */
    public static Path copyModel(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) Files.copy(f, to.resolve(f.getFileName()));
        }
        return to;
    }
}
