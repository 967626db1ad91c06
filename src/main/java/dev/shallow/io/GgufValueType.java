package dev.shallow.io;

import java.util.Optional;

/** The metadata value types of GGUF (ggml/include/gguf.h {@code gguf_type}), with their size in bytes (0: variable). */
public enum GgufValueType {
    UINT8(0, 1, "u8"),
    INT8(1, 1, "i8"),
    UINT16(2, 2, "u16"),
    INT16(3, 2, "i16"),
    UINT32(4, 4, "u32"),
    INT32(5, 4, "i32"),
    FLOAT32(6, 4, "f32"),
    BOOL(7, 1, "bool"),
    STRING(8, 0, "string"),
    ARRAY(9, 0, "array"),
    UINT64(10, 8, "u64"),
    INT64(11, 8, "i64"),
    FLOAT64(12, 8, "f64");

    public final int id;
    /** Bytes of one value; 0 for strings and arrays, whose size is in the file. */
    public final int bytes;
    /** The short name used in messages ("u32", "string"). */
    public final String label;

    GgufValueType(int id, int bytes, String label) {
        this.id = id;
        this.bytes = bytes;
        this.label = label;
    }

    /** The type numbered {@code id}, if GGUF defines it. */
    public static Optional<GgufValueType> of(long id) {
        for (GgufValueType t : values()) if (t.id == id) return Optional.of(t);
        return Optional.empty();
    }

    boolean isInteger() {
        return this != FLOAT32 && this != FLOAT64 && this != BOOL && bytes > 0;
    }

    boolean isSigned() {
        return this == INT8 || this == INT16 || this == INT32 || this == INT64;
    }
}
