package dev.shallow.model.family;

import dev.shallow.io.GgmlType;

import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * One tensor of a GGUF file a family writes, and how it is made from Hugging Face tensors (what convert_hf_to_gguf.py's
 * {@code modify_tensors} does per family): the rows of {@code sources} stacked in order (one source: a rename; several:
 * a fused projection), source row r moved to row {@code placement(r)} (llama's q/k interleaving; element r of a 1-D
 * tensor), each value mapped by {@code values} (Gemma's norms stored as 1 + w). The inverse (GGUF to Hugging Face) uses
 * the same placement and {@link Values#toHf}: GGUF row placement(r) goes back to row r.
 *
 * @param name      llama.cpp's tensor name ({@code blk.3.attn_q.weight})
 * @param sources   the Hugging Face tensors, rows stacked in this order; all of one column count
 * @param placement where source row r goes (identity when null)
 * @param values    a value map and its inverse (identity when null)
 * @param type      a ggml type forced on the tensor, or null for llama.cpp's rule (1-D, norms and non-weights F32, other
 *                  2-D weights the requested dtype: convert_hf_to_gguf.py ModelBase.prepare_tensors)
 * @param rows      each source's row count, so that a stacked GGUF tensor splits back into its sources (GGUF to Hugging
 *                  Face); null when the sources' shapes give them (writing)
 */
public record GgufTensor(String name, List<String> sources, IntUnaryOperator placement, Values values, GgmlType type, long[] rows) {

    /** A value map applied when writing and its inverse applied when reading back to Hugging Face. */
    public record Values(FloatMap toGguf, FloatMap toHf) {
    }

    /** float -> float (java.util.function has no primitive float operator). */
    @FunctionalInterface
    public interface FloatMap {
        float apply(float x);
    }

    public GgufTensor {
        sources = List.copyOf(sources);
        if (sources.isEmpty()) throw new IllegalArgumentException("GGUF tensor " + name + " has no source");
        if (rows != null && rows.length != sources.size()) throw new IllegalArgumentException("GGUF tensor " + name + ": " + rows.length + " row counts for " + sources.size() + " sources");
    }

    /** {@code hf} stored as {@code gguf}, unchanged. */
    public static GgufTensor renamed(String gguf, String hf) {
        return new GgufTensor(gguf, List.of(hf), null, null, null, null);
    }

    /** The rows of {@code hf} stacked into {@code gguf} (a fused qkv, [q | k | v]). */
    public static GgufTensor stacked(String gguf, String... hf) {
        return new GgufTensor(gguf, List.of(hf), null, null, null, null);
    }

    /** The same with each source's row count, {@code rows[i]} for {@code hf[i]}: a file's fused tensor split back into its sources. */
    public static GgufTensor stacked(String gguf, long[] rows, String... hf) {
        return new GgufTensor(gguf, List.of(hf), null, null, null, rows.clone());
    }

    /** This tensor with source row r moved to {@code placement(r)}. */
    public GgufTensor placed(IntUnaryOperator placement) {
        return new GgufTensor(name, sources, placement, values, type, rows);
    }

    /** This tensor with every value mapped (and mapped back by {@code toHf} when converting to Hugging Face). */
    public GgufTensor mapped(FloatMap toGguf, FloatMap toHf) {
        return new GgufTensor(name, sources, placement, new Values(toGguf, toHf), type, rows);
    }

    /** This tensor always in {@code forced}. */
    public GgufTensor typed(GgmlType forced) {
        return new GgufTensor(name, sources, placement, values, forced, rows);
    }

    /** Where source row r goes. */
    public int place(int r) {
        return placement == null ? r : placement.applyAsInt(r);
    }
}
