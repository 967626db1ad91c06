package dev.shallow.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shallow.model.ConfigJson;
import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.RopeSpec;

import java.util.ArrayList;
import java.util.List;

/** The config keys every family reads the same way, and the derivations several families share. */
final class Common {
    private Common() {
    }

    /**
     * Sizes, heads, vocabulary, context, eps (key {@code epsKey}), tying and token ids. head_dim: the key when
     * present, else {@code headDimDefault} (> 0), else hidden / heads.
     */
    static ModelConfig.Builder base(ConfigJson j, Family f, String epsKey, double epsDefault, boolean tieDefault, int headDimDefault) {
        ModelConfig.Builder b = new ModelConfig.Builder();
        b.family = f.name();
        b.modelType = j.string("model_type", "");
        b.architecture = j.has("architectures") && j.get("architectures").isArray() ? j.get("architectures").path(0).asText("") : "";
        b.hiddenSize = j.size("hidden_size", ModelConfig.MAX_DIM);
        b.intermediateSize = j.size("intermediate_size", ModelConfig.MAX_DIM);
        b.numLayers = j.size("num_hidden_layers", ModelConfig.MAX_LAYERS);
        b.numHeads = j.size("num_attention_heads", ModelConfig.MAX_DIM);
        b.numKvHeads = j.positiveInt("num_key_value_heads", b.numHeads);
        if (b.numHeads % b.numKvHeads != 0) {
            throw j.fail("num_attention_heads " + b.numHeads + " is not a multiple of num_key_value_heads " + b.numKvHeads);
        }
        if (j.has("head_dim")) {
            b.headDim = j.size("head_dim", ModelConfig.MAX_DIM);
        } else if (headDimDefault > 0) {
            b.headDim = headDimDefault;
        } else {
            if (b.hiddenSize % b.numHeads != 0) throw j.fail("hidden_size " + b.hiddenSize + " is not a multiple of num_attention_heads " + b.numHeads);
            b.headDim = b.hiddenSize / b.numHeads;
        }
        if ((long) b.numHeads * b.headDim > ModelConfig.MAX_DIM) throw j.fail("num_attention_heads x head_dim is too large: " + (long) b.numHeads * b.headDim);
        b.vocabSize = j.size("vocab_size", 1 << 24);
        b.maxPositionEmbeddings = j.positiveInt("max_position_embeddings", 2048);
        b.normEps = (float) j.positive(epsKey, epsDefault);
        b.tieWordEmbeddings = j.bool("tie_word_embeddings", tieDefault);
        b.torchDtype = j.string("torch_dtype", j.string("dtype", "float32"));
        b.bosTokenId = j.tokenId("bos_token_id");
        b.eosTokenId = j.tokenId("eos_token_id");
        return b;
    }

    /** The activation config key {@code key} names ({@code dflt} when absent): silu, or a tanh-approximated GELU (all three names are one formula). */
    static void activation(ConfigJson j, String key, String dflt, ModelConfig.Builder b) {
        String act = j.string(key, dflt);
        b.activation = switch (act) {
            case "silu", "swish" -> dev.shallow.model.Activation.SILU;
            case "gelu_pytorch_tanh", "gelu_new", "gelu_fast" -> dev.shallow.model.Activation.GELU_TANH;
            default -> throw j.fail("unsupported " + key + " '" + act + "' (supported: silu, gelu_pytorch_tanh, gelu_new)");
        };
    }

    /** rope_theta (positive, {@code dflt} when absent) with {@code rope_scaling} over {@code rotaryDim} dims. */
    static RopeSpec rope(ConfigJson j, double dflt, int rotaryDim) {
        if (rotaryDim <= 0 || rotaryDim % 2 != 0) throw j.fail("RoPE dimensions must be even and positive, got " + rotaryDim);
        return new RopeSpec(j.positive("rope_theta", dflt), rotaryDim, scaling(j, j.get("rope_scaling"), rotaryDim));
    }

    /** rope_scaling: null / "default" -> none; linear and llama3 need their factor; longrope its factor lists; others refused. */
    static RopeSpec.Scaling scaling(ConfigJson j, JsonNode s, int rotaryDim) {
        if (s == null || s.isNull()) return null;
        if (!s.isObject()) throw j.fail("'rope_scaling' must be an object or null, got " + s);
        JsonNode typeNode = s.has("rope_type") ? s.get("rope_type") : s.get("type");
        if (typeNode == null || !typeNode.isTextual()) throw j.fail("'rope_scaling' has no rope_type");
        String type = typeNode.textValue();
        return switch (type) {
            case "default" -> null;
            case "linear" -> RopeSpec.Scaling.linear(requiredPositive(j, s, "factor"));
            case "llama3" -> {
                double low = requiredPositive(j, s, "low_freq_factor"), high = requiredPositive(j, s, "high_freq_factor");
                if (!(high > low)) throw j.fail("rope_scaling high_freq_factor " + high + " must exceed low_freq_factor " + low);
                int orig = (int) requiredPositive(j, s, "original_max_position_embeddings");
                yield new RopeSpec.Scaling(type, requiredPositive(j, s, "factor"), low, high, orig, null, null, 1);
            }
            case "longrope", "su" -> longrope(j, s, rotaryDim);
            default -> throw j.fail("unsupported rope_scaling type '" + type + "' (supported: linear, llama3, longrope)");
        };
    }

    /**
     * Phi-3 longrope: short_factor and long_factor (rotaryDim / 2 each), original_max_position_embeddings from the
     * config; attention factor from the scaling object, else sqrt(1 + ln(f) / ln(original)) with
     * f = max_position_embeddings / original (1 when f <= 1), as transformers' _compute_longrope_parameters.
     */
    private static RopeSpec.Scaling longrope(ConfigJson j, JsonNode s, int rotaryDim) {
        double[] shortF = factors(j, s, "short_factor", rotaryDim / 2), longF = factors(j, s, "long_factor", rotaryDim / 2);
        int orig = j.has("original_max_position_embeddings") ? j.positiveInt("original_max_position_embeddings")
                : (int) requiredPositive(j, s, "original_max_position_embeddings");
        double factor = (double) j.positiveInt("max_position_embeddings", 2048) / orig;
        double attention = s.hasNonNull("attention_factor") ? requiredPositive(j, s, "attention_factor")
                : factor <= 1 ? 1.0 : Math.sqrt(1 + Math.log(factor) / Math.log(orig));
        return new RopeSpec.Scaling("longrope", factor, 0, 0, orig, shortF, longF, attention);
    }

    private static double[] factors(ConfigJson j, JsonNode s, String key, int n) {
        JsonNode a = s.get(key);
        if (a == null || !a.isArray() || a.size() != n) throw j.fail("rope_scaling " + key + " must be a list of " + n + " numbers");
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            if (!a.get(i).isNumber() || !(a.get(i).doubleValue() > 0) || !Double.isFinite(a.get(i).doubleValue())) {
                throw j.fail("rope_scaling " + key + "[" + i + "] must be a positive number, got " + a.get(i));
            }
            out[i] = a.get(i).doubleValue();
        }
        return out;
    }

    private static double requiredPositive(ConfigJson j, JsonNode s, String key) {
        if (!s.hasNonNull(key)) throw j.fail("rope_scaling of type '" + s.path("rope_type").asText(s.path("type").asText()) + "' needs '" + key + "'");
        return j.positiveIn(s, key, 0);
    }

    /** Every layer the same type. */
    static List<LayerType> uniform(int layers, LayerType t) {
        List<LayerType> out = new ArrayList<>(layers);
        for (int i = 0; i < layers; i++) out.add(t);
        return out;
    }

    /**
     * Layer types from an explicit {@code layer_types} list (each "full_attention" or "sliding_attention"), else
     * from {@code slides[i]}; a sliding layer needs a window ({@code window} > 0), as transformers raises otherwise.
     */
    static List<LayerType> layerTypes(ConfigJson j, int layers, boolean[] slides, int window, RopeSpec full, RopeSpec sliding) {
        List<String> names = j.layerStrings("layer_types", layers);
        List<LayerType> out = new ArrayList<>(layers);
        for (int i = 0; i < layers; i++) {
            boolean slide = names == null ? slides[i] : switch (names.get(i)) {
                case "sliding_attention" -> true;
                case "full_attention" -> false;
                default -> throw j.fail("layer_types[" + i + "] is '" + names.get(i) + "' (expected full_attention or sliding_attention)");
            };
            if (slide && window <= 0) throw j.fail("layer " + i + " is a sliding_attention layer but the config has no sliding window");
            out.add(slide ? new LayerType(window, sliding) : new LayerType(0, full));
        }
        return out;
    }

    /** sliding_window as a positive integer, or 0 when null (or {@code dflt} when absent). */
    static int window(ConfigJson j, int dflt) {
        if (j.get("sliding_window") == null) return dflt;
        return j.positiveInt("sliding_window", 0);
    }
}
