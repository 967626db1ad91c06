package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** transformers' tokenizer_config.json next to a tokenizer file (an empty object when there is none). */
record TokenizerConfig(JsonNode root) {

    static TokenizerConfig next(Path tokenizerFile) {
        Path file = tokenizerFile.resolveSibling("tokenizer_config.json");
        return new TokenizerConfig(Files.isRegularFile(file) ? TokenizerJsonReader.readJson(file) : new ObjectMapper().createObjectNode());
    }

    String tokenizerClass() {
        return root.path("tokenizer_class").asText();
    }

    /** bos_token / eos_token: a string or {"content": ...}. */
    Optional<String> token(String field) {
        JsonNode v = root.get(field);
        return Optional.ofNullable(v == null ? null : v.isTextual() ? v.asText() : v.path("content").asText(null));
    }

    /** add_bos_token / add_eos_token, or {@code fallback} when absent. */
    boolean flag(String field, boolean fallback) {
        return root.path(field).asBoolean(fallback);
    }
}
