package dev.shallow.eval.task;

import dev.shallow.ShallowException;
import dev.shallow.data.DocumentSource;
import dev.shallow.data.DocumentSource.JsonLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Finding a task's files in a data folder and reading line-based ones (JSON lines, plain lines). */
final class DataFiles {
    private DataFiles() {
    }

    /** The first of {@code candidates} (paths relative to {@code dataDir}) that is a file; none is an error naming them all. */
    static Path find(Path dataDir, String... candidates) {
        for (String candidate : candidates) {
            Path p = dataDir.resolve(candidate);
            if (Files.isRegularFile(p)) return p;
        }
        List<String> others = Arrays.stream(candidates).skip(1).map(c -> ", nor " + dataDir.resolve(c)).toList();
        throw ShallowException.at(dataDir.resolve(candidates[0]), "file not found" + String.join("", others));
    }

    /**
     * The objects of a strict UTF-8 JSON-lines file, blank lines skipped, keys unique; every line is checked to be a
     * JSON object before any row is interpreted, and a file without one is an error.
     */
    static List<JsonLine> jsonRows(Path file) {
        List<JsonLine> rows = DocumentSource.jsonLines(file, true, row -> row);
        if (rows.isEmpty()) throw ShallowException.at(file, "holds no JSON rows");
        return rows;
    }

    /** The lines of a strict UTF-8 text file, without their "\n"; a final "\n" ends the last line rather than starting another. */
    static List<String> lines(Path file) {
        String text = DocumentSource.utf8(file);
        return List.of((text.endsWith("\n") ? text.substring(0, text.length() - 1) : text).split("\n", -1));
    }
}
