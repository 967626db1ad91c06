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

    /** Every model with a golden reference: the trained Llamas, then one tiny random checkpoint per family and feature. */
    public static java.util.List<String> goldenModels() {
        return java.util.List.of("stories260K", "tiny-qwen2-random", "stories-16L", "tiny-qwen3-random", "tiny-gemma3-random",
                "tiny-gemma2-random", "tiny-phi3-random", "tiny-phi-random", "tiny-smollm3-random", "tiny-mistral-random",
                "tiny-qwen2-swa-random");
    }

    /** The tiny random checkpoints of the families beyond Llama (one per family or feature). */
    public static java.util.List<String> familyModels() {
        return goldenModels().subList(3, goldenModels().size());
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
