package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A TemplateProcessing post-processor of tokenizer.json, read as tokenizers' processors/template.rs deserializes it. */
final class TemplateJson {
    private static final String WHERE = "post_processor";

    private TemplateJson() {
    }

    /** The single-sequence template; "pair" is checked as HF checks it, though Shallow encodes single sequences only. */
    static PostProcessor.Template read(JsonNode node, Spec spec) {
        Map<String, int[]> special = specialTokens(node.get("special_tokens"), spec);
        pieces(node, "pair", Set.of("A", "B"), special, spec);
        List<int[]> before = new ArrayList<>(), after = new ArrayList<>();
        boolean seenSequence = false;
        for (String piece : pieces(node, "single", Set.of("A"), special, spec)) {
            if (piece == null) seenSequence = true;
            else (seenSequence ? after : before).add(special.get(piece));
        }
        return new PostProcessor.Template(before, after);
    }

    /**
     * The pieces of template {@code field}: the special token's name, or null for the sequence. HF requires each to be
     * {"SpecialToken": {"id": name, "type_id": N}} or {"Sequence": {"id": "A" or "B", "type_id": N}} ("data did not
     * match any variant"); a name missing from special_tokens, or $B in "single", makes it panic when encoding.
     */
    private static List<String> pieces(JsonNode node, String field, Set<String> sequences, Map<String, int[]> special, Spec spec) {
        JsonNode list = spec.array(node, field, WHERE);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String path = WHERE + "." + field + "[" + i + "]";
            JsonNode p = list.get(i);
            String kind = p.size() == 1 && p.isObject() ? p.fieldNames().next() : "";
            if (!Set.of("SpecialToken", "Sequence").contains(kind) || !p.get(kind).isObject()) {
                throw spec.fail(path + ": " + p + " is not {\"SpecialToken\": {...}} or {\"Sequence\": {...}}");
            }
            JsonNode body = p.get(kind);
            spec.integer(body, "type_id", path + "." + kind);
            String id = spec.text(body, "id", path + "." + kind);
            boolean known = kind.equals("Sequence") ? sequences.contains(id) : special.containsKey(id);
            if (!known) {
                throw spec.fail(path + "." + kind + ".id: \"" + id + "\" is not " + (kind.equals("Sequence") ? "one of " + sequences : "in special_tokens"));
            }
            names.add(kind.equals("Sequence") ? null : id);
        }
        return names;
    }

    /** HF's special_tokens: a map of {"id": name, "ids": [u32...], "tokens": [string...]}, all three required. */
    private static Map<String, int[]> specialTokens(JsonNode node, Spec spec) {
        String where = WHERE + ".special_tokens";
        if (node == null || !node.isObject()) throw spec.fail(where + ": missing object");
        Map<String, int[]> ids = new HashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String path = where + "[\"" + e.getKey() + "\"]";
            JsonNode entry = e.getValue();
            spec.text(entry, "id", path);
            JsonNode list = spec.array(entry, "ids", path);
            int[] tokenIds = new int[list.size()];
            for (int i = 0; i < tokenIds.length; i++) tokenIds[i] = spec.index(list.get(i), path + ".ids[" + i + "]");
            for (JsonNode t : spec.array(entry, "tokens", path)) {
                if (!t.isTextual()) throw spec.fail(path + ".tokens: " + t + " is not a string");
            }
            ids.put(e.getKey(), tokenIds);
        }
        return ids;
    }
}
