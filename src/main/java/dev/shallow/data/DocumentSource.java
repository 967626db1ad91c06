package dev.shallow.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.ShallowException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** A file of calibration text and how to cut it into documents; {@link #read} returns them in file order. */
public record DocumentSource(Path file, TextFormat format, String field) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String END_OF_TEXT = "<|endoftext|>";
    /** A WikiText top-level heading: " = Title = " (one '=' on each side; sections have "= =" and more). */
    private static final Pattern WIKI_ARTICLE = Pattern.compile("^ = [^=].* = $");

    /** A file given by path: {@code .jsonl} is JSON lines with {@code field}, anything else plain text. */
    public static DocumentSource ofFile(Path file, String field) {
        return new DocumentSource(file, file.getFileName().toString().endsWith(".jsonl") ? TextFormat.JSONL : TextFormat.TEXT, field);
    }

    /** The documents, in file order; empty documents are dropped. */
    public List<String> read() {
        String text = utf8(file);
        List<String> docs = switch (format) {
            case JSONL -> jsonLines(text);
            case TEXT -> splitAtMarkerLines(text);
            case WIKITEXT -> wikiArticles(text);
        };
        docs.removeIf(String::isBlank);
        if (docs.isEmpty()) throw ShallowException.at(file, "holds no text");
        return docs;
    }

    /** The whole file as strict UTF-8; a bad byte is reported with its line, an empty file is an error. */
    public static String utf8(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw ShallowException.at(file, "file not found");
        } catch (IOException e) {
            throw ShallowException.at(file, "cannot read: " + e.getMessage(), e);
        }
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

    private List<String> jsonLines(String text) {
        List<String> docs = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) continue;
            JsonNode row;
            try {
                row = JSON.readTree(lines[i]);
            } catch (JsonProcessingException e) {
                throw ShallowException.at(file, "line " + (i + 1) + ": not valid JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
            }
            JsonNode value = row == null ? null : row.get(field);
            if (value == null || !value.isTextual()) {
                throw ShallowException.at(file, "line " + (i + 1) + ": no string field \"" + field + "\"");
            }
            docs.add(value.textValue());
        }
        return docs;
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

    private static List<String> wikiArticles(String text) {
        List<String> docs = new ArrayList<>();
        StringBuilder doc = new StringBuilder();
        for (String line : text.split("(?<=\n)")) {
            if (WIKI_ARTICLE.matcher(line.endsWith("\n") ? line.substring(0, line.length() - 1) : line).matches() && !doc.isEmpty()) {
                docs.add(doc.toString());
                doc.setLength(0);
            }
            doc.append(line);
        }
        docs.add(doc.toString());
        return docs;
    }
}
