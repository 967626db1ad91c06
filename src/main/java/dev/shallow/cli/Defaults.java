package dev.shallow.cli;

import java.nio.file.Path;

/** Where the bundled default model lives: models/stories260K under the project (the launcher sets shallow.home). */
final class Defaults {
    private Defaults() {
    }

    static Path home() {
        return Path.of(System.getProperty("shallow.home", "."));
    }

    static Path model() {
        return home().resolve("models").resolve("stories260K");
    }

    /** The model directory to use: the one given, else the bundled default. */
    static Path modelOrDefault(Path given) {
        return given != null ? given : model();
    }
}
