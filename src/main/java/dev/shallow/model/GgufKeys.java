package dev.shallow.model;

import dev.shallow.ShallowException;
import dev.shallow.io.GgufMetadata;
import dev.shallow.io.GgufWeights;

/**
 * The metadata of a GGUF model as a family reads it: keys under the architecture's prefix ({@code llama.block_count}),
 * as llama.cpp {@code src/llama-arch.cpp} LLM_KV_NAMES spells them, plus the shapes of stored tensors. Errors name the
 * file and the key.
 */
public record GgufKeys(GgufWeights weights, String architecture, java.util.Map<String, Long> scalars) {
    /** llama.cpp LLM_KV_GENERAL_ARCHITECTURE. */
    public static final String ARCHITECTURE = "general.architecture";

    public static GgufKeys of(GgufWeights weights) {
        GgufMetadata m = weights.metadata();
        if (!m.has(ARCHITECTURE)) throw ShallowException.at(weights.path(), "has no " + ARCHITECTURE + " (not a model GGUF)");
        return new GgufKeys(weights, m.string(ARCHITECTURE), java.util.Map.of());
    }

    /**
     * These keys with {@code suffix} read as the number {@code value}: a per-layer array (llama.cpp's deci head counts and
     * feed-forward lengths) seen as the one size its layers share, so the common readers take it.
     */
    public GgufKeys withScalar(String suffix, long value) {
        java.util.Map<String, Long> s = new java.util.HashMap<>(scalars);
        s.put(key(suffix), value);
        return new GgufKeys(weights, architecture, java.util.Map.copyOf(s));
    }

    /** A per-layer integer key of {@code layers} layers: its array, or its one value repeated (llama.cpp get_key_or_arr). */
    public int[] perLayer(String suffix, int layers) {
        if (!has(suffix)) throw fail("metadata key '" + key(suffix) + "' is missing");
        if (metadata().arrayLength(key(suffix)) >= 0) {
            int[] v = metadata().intArray(key(suffix));
            if (v.length != layers) throw fail("metadata key '" + key(suffix) + "' has " + v.length + " entries for " + layers + " blocks");
            return v;
        }
        int[] v = new int[layers];
        java.util.Arrays.fill(v, (int) metadata().longValue(key(suffix)));
        return v;
    }

    public GgufMetadata metadata() {
        return weights.metadata();
    }

    /** The full key of {@code suffix} under the architecture: {@code llama.} + suffix. */
    public String key(String suffix) {
        return architecture + "." + suffix;
    }

    public boolean has(String suffix) {
        return metadata().has(key(suffix));
    }

    public ShallowException fail(String problem) {
        return ShallowException.at(weights.path(), problem);
    }

    /** A required positive integer no larger than {@code max}. */
    public int size(String suffix, int max) {
        if (!has(suffix)) throw fail("metadata key '" + key(suffix) + "' is missing (a positive integer)");
        return positiveInt(suffix, 0, max);
    }

    /** A positive integer no larger than {@code max}, {@code dflt} when absent. */
    public int positiveInt(String suffix, int dflt, int max) {
        if (!has(suffix)) return dflt;
        long v = scalars.containsKey(key(suffix)) ? scalars.get(key(suffix)) : metadata().longValue(key(suffix));
        if (v <= 0 || v > max) throw fail("metadata key '" + key(suffix) + "' is " + v + ", not in [1, " + max + "]");
        return (int) v;
    }

    /** A positive finite number, {@code dflt} when absent. */
    public double positive(String suffix, double dflt) {
        if (!has(suffix)) return dflt;
        double v = metadata().doubleValue(key(suffix));
        if (!(v > 0) || !Double.isFinite(v)) throw fail("metadata key '" + key(suffix) + "' must be a positive number, got " + v);
        return v;
    }

    /** A string, {@code dflt} when absent. */
    public String string(String suffix, String dflt) {
        return has(suffix) ? metadata().string(key(suffix)) : dflt;
    }

    /** A token id of the tokenizer's keys ({@code tokenizer.ggml.bos_token_id}), -1 when absent. */
    public int tokenId(String fullKey) {
        long v = metadata().has(fullKey) ? metadata().longValue(fullKey) : -1;
        return v >= 0 && v <= Integer.MAX_VALUE ? (int) v : -1; // llama.cpp writes 2^32 - 1 (LLAMA_TOKEN_NULL as u32) for none
    }

    public boolean hasTensor(String name) {
        return weights.has(name);
    }
}
