package dev.shallow.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.ShallowException;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** JSON parsing that refuses what lenient parsers let through: bad UTF-8, duplicate keys, trailing content, a non-object root. */
public final class StrictJson {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private StrictJson() {
    }

    /** Parses {@code utf8} (the {@code what} of {@code file}, e.g. "header") into a JSON object. */
    public static JsonNode parseObject(Path file, String what, byte[] utf8) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(utf8)).toString();
        } catch (CharacterCodingException e) {
            throw ShallowException.at(file, what + " is not valid UTF-8");
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw ShallowException.at(file, what + " is not valid JSON: " + e.getOriginalMessage().lines().findFirst().orElse("")
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        }
        if (root == null || !root.isObject()) throw ShallowException.at(file, what + " is not a JSON object");
        return root;
    }

    /** Reads and parses a whole JSON file that must hold an object. */
    public static JsonNode readObject(Path file) {
        return parseObject(file, "content", InputFiles.readAllBytes(file));
    }
}
