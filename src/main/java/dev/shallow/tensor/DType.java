package dev.shallow.tensor;

import java.util.Optional;

/** Element types named as the safetensors format names them, with their size in bytes. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), F8_E4M3(1), F8_E5M2(1),
    I64(8), I32(4), I16(2), I8(1), U64(8), U32(4), U16(2), U8(1), BOOL(1);

    public final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** The safetensors dtype string (e.g. "BF16"), or empty if the format defines no such dtype. */
    public static Optional<DType> parse(String name) {
        for (DType d : values()) {
            if (d.name().equals(name)) return Optional.of(d);
        }
        return Optional.empty();
    }

    /** Whether weights of this type can be computed with (widened to F32). */
    public boolean isFloatWeight() {
        return this == F32 || this == F16 || this == BF16;
    }
}
