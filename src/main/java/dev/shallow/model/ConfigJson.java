package dev.shallow.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shallow.ShallowException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A config.json object read strictly: every key is type-checked and range-checked as it is read, and a
 * key of the wrong type is an error naming the file and key (never a silent default). A missing key or
 * JSON null takes the family's default, as Hugging Face's config classes do.
 */
public record ConfigJson(Path file, JsonNode node) {

    public boolean has(String key) {
        return node.hasNonNull(key);
    }

    public JsonNode get(String key) {
        return node.get(key);
    }

    public ShallowException fail(String problem) {
        return ShallowException.at(file, problem);
    }

    /** A required positive integer. */
    public int positiveInt(String key) {
        if (!has(key)) throw fail("'" + key + "' is missing (a positive integer)");
        return positiveInt(key, 0);
    }

    /** A positive integer, {@code dflt} when absent or null; values above 2^24 for sizes are refused by {@link #size}. */
    public int positiveInt(String key, int dflt) {
        if (!has(key)) return dflt;
        JsonNode n = node.get(key);
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() <= 0) {
            throw fail("'" + key + "' must be a positive integer, got " + n);
        }
        return n.intValue();
    }

    /** A required positive integer no larger than {@code max} (a tensor dimension). */
    public int size(String key, int max) {
        int v = positiveInt(key);
        if (v > max) throw fail("'" + key + "' is " + v + ", more than the " + max + " Shallow accepts");
        return v;
    }

    /** A non-negative integer, {@code dflt} when absent or null. */
    public int nonNegativeInt(String key, int dflt) {
        if (!has(key)) return dflt;
        JsonNode n = node.get(key);
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 0) {
            throw fail("'" + key + "' must be a non-negative integer, got " + n);
        }
        return n.intValue();
    }

    /** A finite positive number, {@code dflt} when absent or null. */
    public double positive(String key, double dflt) {
        return positiveIn(node, key, dflt);
    }

    /** A finite positive number under {@code parent} (an object of this file), {@code dflt} when absent. */
    public double positiveIn(JsonNode parent, String key, double dflt) {
        JsonNode n = parent.get(key);
        if (n == null || n.isNull()) return dflt;
        if (!n.isNumber() || !Double.isFinite(n.doubleValue()) || n.doubleValue() <= 0) {
            throw fail("'" + key + "' must be a positive number, got " + n);
        }
        return n.doubleValue();
    }

    /** A finite number in [0, 1], {@code dflt} when absent or null. */
    public double fraction(String key, double dflt) {
        if (!has(key)) return dflt;
        JsonNode n = node.get(key);
        if (!n.isNumber() || !(n.doubleValue() > 0) || n.doubleValue() > 1) throw fail("'" + key + "' must be a number in (0, 1], got " + n);
        return n.doubleValue();
    }

    public boolean bool(String key, boolean dflt) {
        if (!has(key)) return dflt;
        JsonNode n = node.get(key);
        if (!n.isBoolean()) throw fail("'" + key + "' must be true or false, got " + n);
        return n.booleanValue();
    }

    public String string(String key, String dflt) {
        if (!has(key)) return dflt;
        JsonNode n = node.get(key);
        if (!n.isTextual()) throw fail("'" + key + "' must be a string, got " + n);
        return n.textValue();
    }

    /** A token id (an integer, or the first of a list as for eos_token_id), -1 when absent. */
    public int tokenId(String key) {
        if (!has(key)) return -1;
        JsonNode n = node.get(key);
        if (n.isArray()) n = n.path(0);
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 0) throw fail("'" + key + "' must be a token id, got " + node.get(key));
        return n.intValue();
    }

    /** A per-layer list of {@code layers} strings, or null when absent. */
    public List<String> layerStrings(String key, int layers) {
        if (!has(key)) return null;
        JsonNode n = node.get(key);
        if (!n.isArray() || n.size() != layers) throw fail("'" + key + "' must be a list of " + layers + " entries (one per layer), got " + brief(n));
        List<String> out = new ArrayList<>(layers);
        for (JsonNode e : n) {
            if (!e.isTextual()) throw fail("'" + key + "' must hold strings, got " + e);
            out.add(e.textValue());
        }
        return out;
    }

    /** A per-layer list of {@code layers} integers, or null when absent. */
    public int[] layerInts(String key, int layers) {
        if (!has(key)) return null;
        JsonNode n = node.get(key);
        if (!n.isArray() || n.size() != layers) throw fail("'" + key + "' must be a list of " + layers + " entries (one per layer), got " + brief(n));
        int[] out = new int[layers];
        for (int i = 0; i < layers; i++) {
            JsonNode e = n.get(i);
            if (!e.isIntegralNumber() && !e.isBoolean()) throw fail("'" + key + "' must hold integers, got " + e);
            out[i] = e.isBoolean() ? (e.booleanValue() ? 1 : 0) : e.intValue();
        }
        return out;
    }

    private static String brief(JsonNode n) {
        String s = n.toString();
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
}
