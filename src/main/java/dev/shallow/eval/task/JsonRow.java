package dev.shallow.eval.task;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.shallow.ShallowException;
import dev.shallow.data.DocumentSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One JSON object of a JSON-lines file and its 1-based line, whose accessors fail with "FILE: line N: problem". */
record JsonRow(Path file, int line, JsonNode value) {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** The objects of a strict UTF-8 JSON-lines file, blank lines skipped. */
    static List<JsonRow> read(Path file) {
        String[] lines = DocumentSource.utf8(file).split("\n", -1);
        List<JsonRow> rows = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) continue;
            JsonNode value;
            try {
                value = JSON.readTree(lines[i]);
            } catch (JsonProcessingException e) {
                throw ShallowException.at(file, "line " + (i + 1) + ": not valid JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
            }
            JsonRow row = new JsonRow(file, i + 1, value);
            if (!value.isObject()) throw row.error("not a JSON object");
            rows.add(row);
        }
        if (rows.isEmpty()) throw ShallowException.at(file, "holds no JSON rows");
        return rows;
    }

    /** The non-empty string {@code field}. */
    String text(String field) {
        JsonNode v = value.get(field);
        if (v == null || !v.isTextual() || v.textValue().isEmpty()) throw error("no non-empty string field \"" + field + "\"");
        return v.textValue();
    }

    /** The non-empty array of non-empty strings {@code field}. */
    List<String> texts(String field) {
        JsonNode v = value.get(field);
        if (v == null || !v.isArray() || v.isEmpty()) throw error("no field \"" + field + "\" holding a non-empty array of strings");
        List<String> texts = new ArrayList<>();
        for (JsonNode item : v) {
            if (!item.isTextual() || item.textValue().isEmpty()) throw error("\"" + field + "\" item " + texts.size() + " is not a non-empty string");
            texts.add(item.textValue());
        }
        return texts;
    }

    /** The integer {@code field}, an index into {@code size} choices. */
    int index(String field, int size) {
        JsonNode v = value.get(field);
        if (v == null || !v.isIntegralNumber()) throw error("no integer field \"" + field + "\"");
        if (!v.canConvertToInt() || v.intValue() < 0 || v.intValue() >= size) {
            throw error("\"" + field + "\" " + v.asText() + " is not an index of the " + size + " choices (0 to " + (size - 1) + ")");
        }
        return v.intValue();
    }

    /** "FILE: line N: problem". */
    ShallowException error(String problem) {
        return ShallowException.at(file, "line " + line + ": " + problem);
    }
}
