package dev.shallow.convert;

import dev.shallow.io.GgmlType;
import dev.shallow.tensor.BF16Tensor;
import dev.shallow.tensor.Q8_0Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * The ggml type of each tensor of a GGUF Shallow writes, and float values encoded in it. The rule is
 * convert_hf_to_gguf.py's (ModelBase.prepare_tensors): 1-D tensors, norms ({@code *_norm.weight}) and anything not a
 * {@code .weight} stay F32, other weights (token_embd and output among them) take the requested type (F32, F16, BF16,
 * Q8_0); a weight whose rows are not whole blocks of the requested type falls back to F16 (prepare_tensors catches
 * gguf-py quants.py's QuantError, "falling back to F16").
 */
public final class GgufTensorTypes {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

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

    /**
     * Writes {@code n} floats of {@code values} into {@code dst} at byte {@code at} as {@code type} (F16 and BF16 rounded to
     * nearest even, Q8_0 as ggml's quantize_row_q8_0_ref: {@link Q8_0Tensor#quantize}).
     */
    public static void encode(float[] values, int n, GgmlType type, MemorySegment dst, long at) {
        switch (type) {
            case F32 -> MemorySegment.copy(values, 0, dst, F32_LE, at, n);
            case F16 -> {
                for (int i = 0; i < n; i++) dst.set(I16_LE, at + 2L * i, Float.floatToFloat16(values[i]));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst.set(I16_LE, at + 2L * i, BF16Tensor.fromFloat(values[i]));
            }
            case Q8_0 -> Q8_0Tensor.quantize(values, 0, n, dst, at);
            default -> throw new IllegalArgumentException("cannot encode " + type);
        }
    }

}
