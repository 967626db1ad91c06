package dev.shallow.eval.task;

import dev.shallow.eval.Task;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A task whose documents are read and checked when it is built: its name, few-shot count, documents and the files
 * they come from. Each subclass says what a document requests, how its responses score and how it is described.
 *
 * @param <D> a document
 */
abstract class DocumentTask<D> implements Task {
    private final String name;
    private final int shots;
    private final List<D> docs;
    private final List<Path> files;

    DocumentTask(String name, int shots, List<D> docs, List<Path> files) {
        this.name = name;
        this.shots = shots;
        this.docs = List.copyOf(docs);
        this.files = List.copyOf(files);
    }

    /** Document {@code doc}. */
    final D document(int doc) {
        return docs.get(doc);
    }

    /** A document's fields for {@link #describe}, keys and values alternating, in that order. */
    static Map<String, Object> fields(Object... keysAndValues) {
        Map<String, Object> fields = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) fields.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return Collections.unmodifiableMap(fields);
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final int shots() {
        return shots;
    }

    @Override
    public final int size() {
        return docs.size();
    }

    @Override
    public final List<Path> files() {
        return files;
    }
}
