package dev.shallow.io;

import dev.shallow.tensor.DType;

import java.util.Optional;

/**
 * The ggml tensor types a GGUF file can hold, with their block layout (ggml/include/ggml.h {@code ggml_type},
 * ggml/src/ggml.c {@code type_traits}, ggml/src/ggml-common.h block structs): a row of {@code ne[0]} elements is
 * {@code ne[0] / blockSize} blocks of {@code bytesPerBlock} bytes. The types Shallow computes with take their layout
 * from their {@link DType} (one definition). Ids 4, 5 and 31-33, 36-38 were removed from ggml.
 */
public enum GgmlType {
    F32(0, DType.F32),
    F16(1, DType.F16),
    Q4_0(2, DType.Q4_0),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, DType.Q8_0),
    Q8_1(9, 32, 36),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, DType.Q4_K),
    Q5_K(13, DType.Q5_K),
    Q6_K(14, DType.Q6_K),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, DType.BF16),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66);

    /** The number ggml and the file use for the type. */
    public final int id;
    /** Elements per block. */
    public final int blockSize;
    /** Bytes per block. */
    public final int bytesPerBlock;
    /** The tensor type Shallow reads it as, or null for the types it does not compute with. */
    public final DType dtype;

    GgmlType(int id, DType dtype) {
        this.id = id;
        this.blockSize = dtype.block;
        this.bytesPerBlock = dtype.bytes;
        this.dtype = dtype;
    }

    GgmlType(int id, int blockSize, int bytesPerBlock) {
        this.id = id;
        this.blockSize = blockSize;
        this.bytesPerBlock = bytesPerBlock;
        this.dtype = null;
    }

    /** The type numbered {@code id}, if ggml defines it. */
    public static Optional<GgmlType> of(long id) {
        for (GgmlType t : values()) if (t.id == id) return Optional.of(t);
        return Optional.empty();
    }

    /** The GGUF type of a dtype Shallow computes with (the inverse of {@link #dtype}). */
    public static GgmlType of(DType dtype) {
        for (GgmlType t : values()) if (t.dtype == dtype) return t;
        throw new IllegalArgumentException("no GGUF type for " + dtype);
    }
}
