package dev.shallow.cluster;

import dev.shallow.model.Model;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The models an executor JVM has opened, by path: each is mapped once, on its first task, and kept for every later task. */
public final class ExecutorModels {
    private static final Map<String, Model> OPEN = new ConcurrentHashMap<>();

    private ExecutorModels() {
    }

    /** The model at {@code path} (a directory or GGUF file every executor sees), opened on first use. */
    public static Model get(String path) {
        return OPEN.computeIfAbsent(path, p -> Model.load(Path.of(p)));
    }
}
