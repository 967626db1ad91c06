package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shallow.ShallowException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** The tokenizer file being read: every problem becomes a {@link ShallowException} naming it; helpers for tokenizer.json fields. */
record Spec(Path file) {

    ShallowException fail(String problem) {
        return ShallowException.at(file, problem);
    }

    /** The string field {@code name} of {@code node}, required. */
    String text(JsonNode node, String name, String where) {
        JsonNode v = node.get(name);
        if (v == null || !v.isTextual()) throw fail(where + ": missing string field \"" + name + "\"");
        return v.asText();
    }

    /** The string field {@code name}, or {@code fallback} when absent or null. */
    String text(JsonNode node, String name, String where, String fallback) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) return fallback;
        if (!v.isTextual()) throw fail(where + ": field \"" + name + "\" is not a string");
        return v.asText();
    }

    /** The boolean field {@code name}, or {@code fallback} when absent or null. */
    boolean flag(JsonNode node, String name, String where, boolean fallback) {
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? fallback : flag(node, name, where);
    }

    /** The boolean field {@code name}, required (serde: "expected a boolean", for 1 and "true" too). */
    boolean flag(JsonNode node, String name, String where) {
        JsonNode v = node.path(name);
        if (!v.isBoolean()) throw fail(where + "." + name + ": not a boolean");
        return v.booleanValue();
    }

    /** The non-negative integer field {@code name}, required. */
    int integer(JsonNode node, String name, String where) {
        return index(node.path(name), where + "." + name);
    }

    /**
     * A u32 or usize as serde reads it: a non-negative integer; a float only with an integral value (HF accepts 5.0,
     * refuses 5.5, -0.5 and -1). Ids beyond Java's int range are refused too.
     */
    int index(JsonNode v, String path) {
        if (!v.isNumber() || !v.canConvertToExactIntegral() || !v.canConvertToInt() || v.asInt() < 0) {
            throw fail(path + ": " + (v.isMissingNode() ? "missing" : v + " is not") + " a non-negative integer");
        }
        return v.asInt();
    }

    /** The "type" of a component (normalizer, pre-tokenizer, decoder, post-processor). */
    String type(JsonNode node, String kind) {
        if (!node.isObject()) throw fail(kind + " is not a JSON object");
        return text(node, "type", kind);
    }

    /** An array field, required. */
    JsonNode array(JsonNode node, String name, String where) {
        JsonNode v = node.get(name);
        if (v == null || !v.isArray()) throw fail(where + ": missing array field \"" + name + "\"");
        return v;
    }

    /** The components listed in a Sequence component's array field, each read by {@code read}. */
    <T> List<T> components(JsonNode node, String name, String where, BiFunction<JsonNode, Spec, T> read) {
        List<T> parts = new ArrayList<>();
        for (JsonNode n : array(node, name, where)) parts.add(read.apply(n, this));
        return parts;
    }

    ShallowException unknown(String kind, String type) {
        return fail("unsupported " + kind + " type \"" + type + "\"");
    }

    /**
     * A tokenizers {@code pattern}: {"String": literal} or {"Regex": Oniguruma regex}. Java regex with
     * UNICODE_CHARACTER_CLASS gives \s = White_Space and Unicode case folding, as Oniguruma does.
     */
    Pattern pattern(JsonNode node, String where) {
        JsonNode p = node.get("pattern");
        if (p != null && p.has("String")) return Pattern.compile(Pattern.quote(text(p, "String", where + ".pattern")));
        if (p != null && p.has("Regex")) {
            try {
                return Pattern.compile(text(p, "Regex", where + ".pattern"), Pattern.UNICODE_CHARACTER_CLASS);
            } catch (PatternSyntaxException e) {
                throw fail(where + ": invalid regex " + e.getDescription());
            }
        }
        throw fail(where + ": \"pattern\" must be {\"String\": ...} or {\"Regex\": ...}");
    }
}
