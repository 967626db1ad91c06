package dev.shallow.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shallow.ShallowException;
import dev.shallow.io.StrictJson;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * The parts of a Hugging Face {@code config.json} a Llama-family decoder needs. Architectures:
 * llama, mistral, qwen2 (q/k/v biases). Anything else is refused by {@link #load}.
 *
 * @param ropeScaling null when absent
 * @param slidingWindow 0 when attention is full; else the window (refused for inputs longer than it)
 */
public record ModelConfig(
        String modelType,
        String architecture,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int vocabSize,
        int maxPositionEmbeddings,
        float rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        int slidingWindow,
        String torchDtype,
        int bosTokenId,
        int eosTokenId) {

    /** rope_scaling of type "llama3" (factor, low/high_freq_factor, original_max_position_embeddings) or "linear" (factor). */
    public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
    }

    private static final Set<String> TYPES = Set.of("llama", "mistral", "qwen2");

    public static ModelConfig load(Path modelDir) {
        Path file = Files.isDirectory(modelDir) ? modelDir.resolve("config.json") : modelDir;
        JsonNode c = StrictJson.readObject(file);
        return parse(file, c);
    }

    static ModelConfig parse(Path file, JsonNode c) {
        String type = c.path("model_type").asText("");
        String arch = c.path("architectures").path(0).asText("");
        if (!TYPES.contains(type)) {
            throw ShallowException.at(file, "unsupported architecture: model_type '" + type + "' ("
                    + (arch.isEmpty() ? "no architectures" : arch) + "); supported: llama, mistral, qwen2");
        }
        int hidden = positive(file, c, "hidden_size");
        int heads = positive(file, c, "num_attention_heads");
        int kvHeads = c.hasNonNull("num_key_value_heads") ? positive(file, c, "num_key_value_heads") : heads;
        int layers = positive(file, c, "num_hidden_layers");
        if (heads % kvHeads != 0) {
            throw ShallowException.at(file, "num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        int headDim = c.hasNonNull("head_dim") ? positive(file, c, "head_dim") : hidden / heads;
        if (!c.hasNonNull("head_dim") && hidden % heads != 0) {
            throw ShallowException.at(file, "hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads);
        }
        if (headDim % 2 != 0) throw ShallowException.at(file, "head_dim " + headDim + " must be even for RoPE");
        String act = c.path("hidden_act").asText("silu");
        if (!act.equals("silu")) throw ShallowException.at(file, "unsupported hidden_act '" + act + "' (only silu)");
        if (c.path("mlp_bias").asBoolean(false)) throw ShallowException.at(file, "unsupported mlp_bias true (MLP projections have no bias here)");
        RopeScaling scaling = ropeScaling(file, c.path("rope_scaling"));
        boolean bias = type.equals("qwen2") || c.path("attention_bias").asBoolean(false);
        int window = 0;
        if (c.hasNonNull("sliding_window") && (type.equals("mistral") || c.path("use_sliding_window").asBoolean(false))) {
            window = c.path("sliding_window").asInt(0);
        }
        return new ModelConfig(type, arch, hidden, positive(file, c, "intermediate_size"), layers, heads, kvHeads, headDim,
                positive(file, c, "vocab_size"), c.path("max_position_embeddings").asInt(2048),
                (float) c.path("rms_norm_eps").asDouble(1e-6), c.path("rope_theta").asDouble(10000.0), scaling,
                c.path("tie_word_embeddings").asBoolean(false), bias, window, c.path("torch_dtype").asText("float32"),
                c.path("bos_token_id").asInt(-1), firstInt(c.path("eos_token_id")));
    }

    private static int firstInt(JsonNode n) {
        return n.isArray() ? n.path(0).asInt(-1) : n.asInt(-1);
    }

    private static RopeScaling ropeScaling(Path file, JsonNode s) {
        if (s.isMissingNode() || s.isNull()) return null;
        String type = s.has("rope_type") ? s.path("rope_type").asText() : s.path("type").asText();
        double factor = s.path("factor").asDouble(1.0);
        if (!(factor > 0)) throw ShallowException.at(file, "rope_scaling factor must be positive, got " + s.path("factor"));
        return switch (type) {
            case "default" -> null;
            case "linear" -> new RopeScaling(type, factor, 0, 0, 0);
            case "llama3" -> new RopeScaling(type, factor, s.path("low_freq_factor").asDouble(1.0),
                    s.path("high_freq_factor").asDouble(4.0), s.path("original_max_position_embeddings").asInt(8192));
            default -> throw ShallowException.at(file, "unsupported rope_scaling type '" + type + "' (supported: llama3, linear)");
        };
    }

    private static int positive(Path file, JsonNode c, String key) {
        JsonNode n = c.get(key);
        if (n == null || !n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() <= 0) {
            throw ShallowException.at(file, "'" + key + "' must be a positive integer, got " + (n == null ? "nothing" : n.toString()));
        }
        return n.asInt();
    }

    public int qDim() {
        return numHeads * headDim;
    }

    public int kvDim() {
        return numKvHeads * headDim;
    }

    /** This config with {@code layers} layers (for a pruned checkpoint). */
    public ModelConfig withNumLayers(int layers) {
        return new ModelConfig(modelType, architecture, hiddenSize, intermediateSize, layers, numHeads, numKvHeads, headDim,
                vocabSize, maxPositionEmbeddings, rmsNormEps, ropeTheta, ropeScaling, tieWordEmbeddings, attentionBias,
                slidingWindow, torchDtype, bosTokenId, eosTokenId);
    }
}
