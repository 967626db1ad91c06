package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.io.GgufMetadata;
import dev.shallow.io.GgufWriter;
import dev.shallow.io.StrictJson;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model's chat templates (Jinja text), carried between a Hugging Face directory and a GGUF file as transformers and
 * llama.cpp's convert_hf_to_gguf.py keep them: in a directory, {@code tokenizer_config.json}'s {@code chat_template} (a
 * string, or a list of {@code {"name", "template"}}), else the file {@code chat_template.jinja}; in a GGUF,
 * {@code tokenizer.chat_template} (the one named "default", or the only one) and {@code tokenizer.chat_template.NAME}
 * for the others. Keys of the map: the template's name, "default" for the default one.
 */
public final class ChatTemplates {
    static final String DEFAULT = "default";
    static final String KEY = "tokenizer.chat_template";

    private ChatTemplates() {
    }

    /** The templates of the model directory {@code dir} (empty when it has none). */
    public static Map<String, String> of(Path dir) {
        Map<String, String> t = new LinkedHashMap<>();
        Path config = dir.resolve("tokenizer_config.json"), jinja = dir.resolve("chat_template.jinja");
        JsonNode value = Files.isRegularFile(config) ? StrictJson.readObject(config).path("chat_template") : null;
        if (value != null && value.isTextual()) {
            t.put(DEFAULT, value.textValue());
        } else if (value != null && value.isArray()) {
            for (JsonNode e : value) {
                if (!e.path("name").isTextual() || !e.path("template").isTextual()) {
                    throw ShallowException.at(config, "key 'chat_template': a list entry without a string 'name' and 'template'");
                }
                t.put(e.get("name").textValue(), e.get("template").textValue());
            }
        } else if (value != null && !value.isMissingNode() && !value.isNull()) {
            throw ShallowException.at(config, "key 'chat_template' is neither a string nor a list of {name, template}");
        } else if (Files.isRegularFile(jinja)) {
            try {
                t.put(DEFAULT, Files.readString(jinja, StandardCharsets.UTF_8));
            } catch (IOException e) { // a read error, or bytes that are not UTF-8 (transformers reads the file as UTF-8 text)
                throw ShallowException.at(jinja, "not readable as UTF-8 text: " + e);
            }
        }
        return t;
    }

    /** Puts {@code templates} under llama.cpp's keys: the default (or the only one) as tokenizer.chat_template, the others by name. */
    public static void put(Map<String, String> templates, GgufWriter.Metadata m) {
        String only = templates.size() == 1 ? templates.keySet().iterator().next() : DEFAULT;
        templates.forEach((name, text) -> m.string(name.equals(only) ? KEY : KEY + "." + name, text));
    }

    /** The GGUF's templates as tokenizer_config.json's chat_template: a string for the default alone, else the named list. */
    static void toConfig(GgufMetadata m, ObjectNode config) {
        Map<String, String> named = new LinkedHashMap<>();
        if (m.has(KEY)) named.put(DEFAULT, m.string(KEY));
        for (String k : m.keys()) if (k.startsWith(KEY + ".")) named.put(k.substring(KEY.length() + 1), m.string(k));
        if (named.size() == 1 && named.containsKey(DEFAULT)) {
            config.put("chat_template", named.get(DEFAULT));
        } else if (!named.isEmpty()) {
            ArrayNode list = config.putArray("chat_template");
            named.forEach((name, text) -> list.addObject().put("name", name).put("template", text));
        }
    }
}
