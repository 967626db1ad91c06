package dev.shallow.convert;

import dev.shallow.io.GgmlType;

import java.util.Locale;

/**
 * The ggml type of each tensor of a GGUF Shallow writes (its values are written by {@link dev.shallow.tensor.DType#encode}). The rule is
 * convert_hf_to_gguf.py's (ModelBase.prepare_tensors): 1-D tensors, norms ({@code *_norm.weight}) and anything not a
 * {@code .weight} stay F32, other weights (token_embd and output among them) take the requested type (F32, F16, BF16,
 * Q8_0); a weight whose rows are not whole blocks of the requested type falls back to F16 (prepare_tensors catches
 * gguf-py quants.py's QuantError, "falling back to F16").
 */
public final class GgufTensorTypes {
    private GgufTensorTypes() {
    }

    /** The types {@code --dtype} takes, by their lower-case names. */
    public static GgmlType parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "f32" -> GgmlType.F32;
            case "f16" -> GgmlType.F16;
            case "bf16" -> GgmlType.BF16;
            case "q8_0" -> GgmlType.Q8_0;
            default -> throw new IllegalArgumentException("--dtype " + name + " is not one of f32, f16, bf16, q8_0");
        };
    }

    /**
     * The type of tensor {@code ggufName} of {@code shape} (the row length last) when weights are asked for in
     * {@code requested}.
     */
    public static GgmlType of(String ggufName, long[] shape, GgmlType requested) {
        if (shape.length <= 1 || ggufName.endsWith("_norm.weight") || !ggufName.endsWith(".weight")) return GgmlType.F32;
        if (shape[shape.length - 1] % requested.blockSize != 0) return GgmlType.F16;
        return requested;
    }

    /**
     * llama.cpp's llama_ftype (general.file_type) of a model whose weights are mostly {@code t} (include/llama.h):
     * ALL_F32 0, MOSTLY_F16 1, MOSTLY_Q8_0 7, MOSTLY_BF16 32.
     */
    public static int fileType(GgmlType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 7;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("no file type for " + t);
        };
    }
}
