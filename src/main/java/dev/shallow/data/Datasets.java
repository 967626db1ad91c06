package dev.shallow.data;

import dev.shallow.ShallowException;
import dev.shallow.cluster.FileSources;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** Calibration text by name, from the shared data folder ({@code ../shared/data}), or any file by path. */
public final class Datasets {
    private record Named(String path, TextFormat format, String field) {
    }

    private static final Map<String, Named> NAMED = new TreeMap<>(Map.ofEntries(
            Map.entry("stories", new Named("stories260K-samples/train.jsonl", TextFormat.JSONL, "text")),
            Map.entry("stories-heldout", new Named("stories260K-samples/heldout.jsonl", TextFormat.JSONL, "text")),
            Map.entry("tinystories", new Named("tinystories/tinystories_sample.txt", TextFormat.TEXT, null)),
            Map.entry("wikitext2", new Named("wikitext-2/wiki.test.raw", TextFormat.WIKITEXT, null)),
            Map.entry("lambada", new Named("lambada/lambada_test.jsonl", TextFormat.JSONL, "text")),
            Map.entry("arc-easy", new Named("llm-foundry/arc_easy.jsonl", TextFormat.JSONL, "query")),
            Map.entry("arc-challenge", new Named("llm-foundry/arc_challenge.jsonl", TextFormat.JSONL, "query")),
            Map.entry("boolq", new Named("llm-foundry/boolq.jsonl", TextFormat.JSONL, "query")),
            Map.entry("openbookqa", new Named("llm-foundry/openbook_qa.jsonl", TextFormat.JSONL, "query")),
            Map.entry("gsm8k", new Named("llm-foundry/gsm8k.jsonl", TextFormat.JSONL, "context"))));

    private Datasets() {
    }

    /**
     * {@code data} is a dataset name (resolved under {@code sharedData}, with its own format and field)
     * or a file path ({@code .jsonl}: field {@code field}; else plain text), or in --spark runs a URI of a distributed
     * filesystem (read from its local copy, {@link FileSources}).
     */
    public static DocumentSource resolve(String data, String field, Path sharedData) {
        Named n = NAMED.get(data);
        if (n != null) return new DocumentSource(sharedData.resolve(n.path()), n.format(), n.field());
        Path file = FileSources.local(data);
        if (!Files.exists(file)) {
            throw ShallowException.at(file, "file not found (nor a dataset name: " + String.join(", ", NAMED.keySet()) + ")");
        }
        return DocumentSource.ofFile(file, field);
    }

    /** A file's absolute path (so a resumed run from another directory, or an executor elsewhere, finds the same file); a dataset name as it is. */
    public static String absoluteIfFile(String data) {
        Path p = Path.of(data);
        return Files.exists(p) ? p.toAbsolutePath().normalize().toString() : data;
    }
}
