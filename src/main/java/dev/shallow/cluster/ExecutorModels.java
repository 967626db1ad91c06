package dev.shallow.cluster;

import dev.shallow.model.Model;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The models an executor JVM has opened, by path: each is mapped once, on its first task, and kept for every later task. */
public final class ExecutorModels {
    private static final Map<String, Model> OPEN = new ConcurrentHashMap<>();

    private ExecutorModels() {
    }

    /**
     * The model at {@code path} (a directory or GGUF file every executor sees, or a URI of a distributed filesystem, copied
     * into this machine's cache first: {@link FileSources}), opened on first use.
     */
    public static Model get(String path) {
        return OPEN.computeIfAbsent(path, p -> Model.load(FileSources.local(p)));
    }
}
