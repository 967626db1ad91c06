package dev.shallow.convert;

import dev.shallow.io.GgmlType;
import dev.shallow.tensor.BF16Tensor;
import dev.shallow.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * The ggml type of each tensor of a GGUF Shallow writes, and float values encoded in it. The rule is
 * convert_hf_to_gguf.py's (ModelBase.prepare_tensors): 1-D tensors, norms ({@code *_norm.weight}) and anything not a
 * {@code .weight} stay F32, other weights take the requested type (F32, F16, BF16; Q8_0 is not written yet).
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
            default -> throw new IllegalArgumentException("--dtype " + name + " is not one of f32, f16, bf16 (q8_0 is not written yet)");
        };
    }

    /** The type of tensor {@code ggufName} with {@code dims} dimensions when weights are asked for in {@code requested}. */
    public static GgmlType of(String ggufName, int dims, GgmlType requested) {
        if (dims <= 1 || ggufName.endsWith("_norm.weight") || !ggufName.endsWith(".weight")) return GgmlType.F32;
        return requested;
    }

    /** The float ggml type of a Shallow dtype (F32, F16, BF16), or null. */
    public static GgmlType of(DType d) {
        return switch (d) {
            case F32 -> GgmlType.F32;
            case F16 -> GgmlType.F16;
            case BF16 -> GgmlType.BF16;
            default -> null;
        };
    }

    /** The Shallow dtype of a float ggml type, or null for the others. */
    public static DType dtype(GgmlType t) {
        return switch (t) {
            case F32 -> DType.F32;
            case F16 -> DType.F16;
            case BF16 -> DType.BF16;
            default -> null;
        };
    }

    /** llama.cpp's llama_ftype (general.file_type) of a model whose weights are mostly {@code t}: ALL_F32 0, MOSTLY_F16 1, MOSTLY_BF16 32. */
    public static int fileType(GgmlType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("no file type for " + t);
        };
    }

    /** Writes {@code n} floats of {@code values} into {@code dst} at byte {@code at} as {@code type} (F16 and BF16 rounded to nearest even). */
    public static void encode(float[] values, int n, GgmlType type, MemorySegment dst, long at) {
        switch (type) {
            case F32 -> MemorySegment.copy(values, 0, dst, F32_LE, at, n);
            case F16 -> {
                for (int i = 0; i < n; i++) dst.set(I16_LE, at + 2L * i, Float.floatToFloat16(values[i]));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst.set(I16_LE, at + 2L * i, BF16Tensor.fromFloat(values[i]));
            }
            default -> throw new IllegalArgumentException("cannot encode " + type);
        }
    }
}
