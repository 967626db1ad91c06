package dev.shallow.cli;

import dev.shallow.cluster.FileSources;

import java.nio.file.Path;

/** Where the bundled default model (models/stories260K under the project; the launcher sets shallow.home) and the shared data live. */
final class Defaults {
    private Defaults() {
    }

    static Path home() {
        return Path.of(System.getProperty("shallow.home", "."));
    }

    static Path model() {
        return home().resolve("models").resolve("stories260K");
    }

    /** ../shared/data beside the project (or under -Dshallow.shared, as the tests set it). */
    static Path sharedData() {
        String shared = System.getProperty("shallow.shared");
        return (shared != null ? Path.of(shared) : home().toAbsolutePath().normalize().resolveSibling("shared")).resolve("data");
    }

    /** The model directory to use: the one given, else the bundled default. */
    static Path modelOrDefault(Path given) {
        return given != null ? given : model();
    }

    /** The same for a location that may also be a URI of a distributed filesystem: the path of its local copy ({@link FileSources}). */
    static Path modelOrDefault(String given) {
        return given != null ? FileSources.local(given) : model();
    }
}
