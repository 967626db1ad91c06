package dev.shallow.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.shallow.ShallowException;
import dev.shallow.io.InputFiles;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** A file of calibration text and how to cut it into documents; {@link #read} returns them in file order. */
public record DocumentSource(Path file, TextFormat format, String field) {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final ObjectMapper JSON_UNIQUE_KEYS = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final String END_OF_TEXT = "<|endoftext|>";

    /** A file given by path: {@code .jsonl} is JSON lines with {@code field}, anything else plain text. */
    public static DocumentSource ofFile(Path file, String field) {
        return new DocumentSource(file, file.getFileName().toString().endsWith(".jsonl") ? TextFormat.JSONL : TextFormat.TEXT, field);
    }

    /** One line of a JSON-lines file: its 1-based number and the object it holds; its accessors fail with {@link #error}. */
    public record JsonLine(Path file, int line, JsonNode value) {
        /** The string field {@code field}. */
        public String text(String field) {
            JsonNode v = value.get(field);
            if (v == null || !v.isTextual()) throw error("no string field \"" + field + "\"");
            return v.textValue();
        }

        /** The non-empty string field {@code field}. */
        public String nonEmptyText(String field) {
            JsonNode v = value.get(field);
            if (v == null || !v.isTextual() || v.textValue().isEmpty()) throw error("no non-empty string field \"" + field + "\"");
            return v.textValue();
        }

        /** The field {@code field}, a non-empty array of non-empty strings. */
        public List<String> texts(String field) {
            JsonNode v = value.get(field);
            if (v == null || !v.isArray() || v.isEmpty()) throw error("no field \"" + field + "\" holding a non-empty array of strings");
            List<String> texts = new ArrayList<>();
            for (JsonNode item : v) {
                if (!item.isTextual() || item.textValue().isEmpty()) throw error("\"" + field + "\" item " + texts.size() + " is not a non-empty string");
                texts.add(item.textValue());
            }
            return texts;
        }

        /** The integer field {@code field}, an index into {@code size} choices. */
        public int index(String field, int size) {
            JsonNode v = value.get(field);
            if (v == null || !v.isIntegralNumber()) throw error("no integer field \"" + field + "\"");
            if (!v.canConvertToInt() || v.intValue() < 0 || v.intValue() >= size) {
                throw error("\"" + field + "\" " + v.asText() + " is not an index of the " + size + " choices (0 to " + (size - 1) + ")");
            }
            return v.intValue();
        }

        /** "FILE: line N: problem". */
        public ShallowException error(String problem) {
            return ShallowException.at(file, "line " + line + ": " + problem);
        }
    }

    /** The documents, in file order; empty documents are dropped. */
    public List<String> read() {
        List<String> docs = switch (format) {
            case JSONL -> jsonLines(file, l -> l.text(field));
            case TEXT -> splitAtMarkerLines(utf8(file));
            case WIKITEXT -> wikiPages(utf8(file));
        };
        docs.removeIf(String::isBlank);
        if (docs.isEmpty()) throw ShallowException.at(file, "holds no text");
        return docs;
    }

    /** The whole file as strict UTF-8; a bad byte is reported with its line, an empty file is an error. */
    public static String utf8(Path file) {
        byte[] bytes = InputFiles.readAllBytes(file);
        if (bytes.length == 0) throw ShallowException.at(file, "is empty");
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = dec.decode(in, out, true);
        if (r.isError()) {
            int line = 1;
            for (int i = 0; i < in.position(); i++) if (bytes[i] == '\n') line++;
            throw ShallowException.at(file, "line " + line + ": not valid UTF-8 (byte offset " + in.position() + ")");
        }
        dec.flush(out);
        return out.flip().toString();
    }

    /**
     * Each JSON object of a JSON-lines file (blank lines skipped) read by {@code reader}, in file order, so the
     * first bad line is the one reported; invalid JSON or a non-object is an error naming the line. A key named
     * twice in an object is allowed, the last value kept.
     */
    public static <T> List<T> jsonLines(Path file, Function<JsonLine, T> reader) {
        return jsonLines(file, false, reader);
    }

    /** {@link #jsonLines(Path, Function)}, where with {@code uniqueKeys} a key named twice in an object is invalid JSON. */
    public static <T> List<T> jsonLines(Path file, boolean uniqueKeys, Function<JsonLine, T> reader) {
        ObjectMapper json = uniqueKeys ? JSON_UNIQUE_KEYS : JSON;
        List<T> rows = new ArrayList<>();
        String[] lines = utf8(file).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) continue;
            JsonNode value;
            try {
                value = json.readTree(lines[i]);
            } catch (JsonProcessingException e) {
                throw ShallowException.at(file, "line " + (i + 1) + ": not valid JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
            }
            if (!value.isObject()) throw ShallowException.at(file, "line " + (i + 1) + ": not a JSON object");
            rows.add(reader.apply(new JsonLine(file, i + 1, value)));
        }
        return rows;
    }

    private static List<String> splitAtMarkerLines(String text) {
        List<String> docs = new ArrayList<>();
        StringBuilder doc = new StringBuilder();
        for (String line : text.split("(?<=\n)")) {
            if (line.strip().equals(END_OF_TEXT)) {
                docs.add(doc.toString().strip());
                doc.setLength(0);
            } else {
                doc.append(line);
            }
        }
        docs.add(doc.toString().strip());
        return docs;
    }

    /**
     * WikiText raw cut into pages exactly as Hugging Face's EleutherAI/wikitext_document_level script does
     * ({@code _generate_examples}), which lm-evaluation-harness's {@code wikitext} task reads: the file read with
     * Python's universal newlines, split at "\n"; a line whose {@code .replace("= = =", "===").replace("= =",
     * "==").strip()} starts with "= " and ends with " =" (a top-level " = Title = ") starts a page; pages are their
     * lines joined by "\n" (so only the last page keeps the file's final newline); a blank page before the first
     * heading is dropped, the last page is always kept.
     */
    public static List<String> wikiPages(String text) {
        List<String> pages = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        for (String line : text.replace("\r\n", "\n").replace('\r', '\n').split("\n", -1)) {
            String rline = PythonText.strip(line.replace("= = =", "===").replace("= =", "=="));
            if (rline.startsWith("= ") && rline.endsWith(" =")) {
                String page = String.join("\n", lines);
                if (!PythonText.strip(page).isEmpty()) pages.add(page);
                lines.clear();
            }
            lines.add(line);
        }
        pages.add(String.join("\n", lines));
        return pages;
    }
}
