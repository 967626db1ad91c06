package dev.shallow.prune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.shallow.model.ModelConfig;
import dev.shallow.model.family.Families;
import dev.shallow.model.family.Family;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * config.json of a pruned model: the source's JSON object with its keys in their order and every value
 * unchanged except
 * <ul>
 * <li>{@code num_hidden_layers}: the number of kept layers;</li>
 * <li>the per-layer settings the family derives from layer indices (layer_types from a pattern or an alternation,
 *     SmolLM3's no_rope_layers from an interval: {@link Family#perLayerSettings}) written out explicitly, so that
 *     transformers does not derive them again from the new indices;</li>
 * <li>every top-level array whose length is the old layer count (per-layer settings such as
 *     {@code layer_types}, per-layer {@code sliding_window} lists, {@code no_rope_layers},
 *     {@code mlp_only_layers}): cut to the kept layers' entries, in order. Token-id lists and
 *     {@code architectures} are never per-layer and are left alone;</li>
 * <li>{@code max_window_layers} (Qwen2: layers with index >= it use sliding-window attention), when it is
 *     below the old layer count: the number of kept layers below it, so every kept layer keeps its
 *     attention type.</li>
 * </ul>
 * Nested objects are not searched (the supported architectures keep per-layer settings at the top level).
 */
public final class PrunedConfig {
    private static final Set<String> NOT_PER_LAYER = Set.of("architectures", "eos_token_id", "bos_token_id", "pad_token_id");

    private PrunedConfig() {
    }

    /** The config of {@code source} (a model of {@code numLayers} layers) with only layers {@code kept} (ascending old indices) left. */
    public static ObjectNode of(JsonNode source, ModelConfig config, int[] kept) {
        ObjectNode out = source.deepCopy();
        Family family = Families.of(config);
        cut((ObjectNode) decoder(out, family), family.perLayerSettings(config), config.numLayers(), kept);
        return out;
    }

    /** The object of {@code configJson} holding the decoder's settings: the top level, or {@link Family#textConfigKey}'s. */
    static JsonNode decoder(JsonNode configJson, Family family) {
        String key = family.textConfigKey();
        return key == null ? configJson : configJson.get(key);
    }

    /** Cuts the decoder settings in {@code out} (config.json, or a multimodal config's text_config) to the kept layers. */
    private static void cut(ObjectNode out, Map<String, JsonNode> perLayer, int numLayers, int[] kept) {
        JsonNode source = out.deepCopy();
        perLayer.forEach(out::set);
        for (Map.Entry<String, JsonNode> e : List.copyOf(out.properties())) {
            JsonNode v = e.getValue();
            if (v.isArray() && v.size() == numLayers && !NOT_PER_LAYER.contains(e.getKey())) {
                ArrayNode cut = out.arrayNode();
                for (int old : kept) cut.add(v.get(old));
                out.set(e.getKey(), cut);
            }
        }
        out.put("num_hidden_layers", kept.length);
        JsonNode window = source.get("max_window_layers");
        if (window != null && window.canConvertToInt() && window.isIntegralNumber() && window.intValue() < numLayers) {
            int below = 0;
            for (int old : kept) if (old < window.intValue()) below++;
            out.put("max_window_layers", below);
        }
    }
}
