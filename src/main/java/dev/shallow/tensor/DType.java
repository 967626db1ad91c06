package dev.shallow.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * Element types: those the safetensors format names (with their size in bytes), and the ggml block formats a GGUF
 * file's quantized tensors use (ggml/src/ggml-common.h block structs). A block format stores {@link #block} elements
 * in {@link #bytes} bytes, with IEEE fp16 scales at {@link #fp16Scales} within the block; an element type is a block
 * of one. The block formats are no safetensors dtype: {@link #parse} never returns one.
 */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), F8_E4M3(1), F8_E5M2(1),
    I64(8), I32(4), I16(2), I8(1), U64(8), U32(4), U16(2), U8(1), BOOL(1),
    /** block_q8_0: ggml_half d; int8_t qs[32]. x = d * qs[j]. */
    Q8_0(32, 34, 0),
    /** block_q4_0: ggml_half d; uint8_t qs[16]. x[j] = d * ((qs[j] &amp; 15) - 8), x[j + 16] = d * ((qs[j] &gt;&gt; 4) - 8). */
    Q4_0(32, 18, 0),
    /** block_q4_K: ggml_half d, dmin; uint8_t scales[12] (8 x 6-bit scale and min); uint8_t qs[128] (4-bit quants). */
    Q4_K(256, 144, 0, 2),
    /** block_q5_K: ggml_half d, dmin; uint8_t scales[12]; uint8_t qh[32] (5th bits); uint8_t qs[128]. */
    Q5_K(256, 176, 0, 2),
    /** block_q6_K: uint8_t ql[128] (low 4 bits); uint8_t qh[64] (high 2 bits); int8_t scales[16]; ggml_half d. */
    Q6_K(256, 210, 208);

    /** Bytes of one block ({@link #block} elements): for an element type, bytes per element. */
    public final int bytes;
    /** Elements per block: 1 for an element type. */
    public final int block;
    /** Byte offsets of the fp16 scales in a block (d, and dmin for Q4_K and Q5_K); empty for an element type. */
    private final int[] fp16Scales;

    DType(int bytes) {
        this(1, bytes);
    }

    DType(int block, int bytes, int... fp16Scales) {
        this.block = block;
        this.bytes = bytes;
        this.fp16Scales = fp16Scales;
    }

    /** The safetensors dtype string (e.g. "BF16"), or empty if the format defines no such dtype (the block formats among them). */
    public static Optional<DType> parse(String name) {
        for (DType d : values()) {
            if (!d.isQuantized() && d.name().equals(name)) return Optional.of(d);
        }
        return Optional.empty();
    }

    /** Whether weights of this type can be computed with (widened to F32). */
    public boolean isFloatWeight() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** A ggml block format (several elements per block, decoded with their block's scales). */
    public boolean isQuantized() {
        return block > 1;
    }

    /** The bytes of {@code elements} elements, a whole number of blocks. */
    public long byteSize(long elements) {
        if (elements % block != 0) throw new IllegalArgumentException(elements + " elements are not a whole number of " + this + " blocks of " + block);
        return Math.multiplyExact(elements / block, bytes);
    }

    /** Whether {@link #encode} writes this type. */
    public boolean encodes() {
        return this == F32 || this == F16 || this == BF16 || this == Q8_0;
    }

    /**
     * Writes src[off, off + n) in this type at byte {@code at} of {@code dst}: F32 as is, F16 and BF16 rounded to nearest
     * even ({@link Float#floatToFloat16}, {@link BF16Tensor#fromFloat}), Q8_0 as ggml's quantize_row_q8_0_ref
     * ({@link Q8_0Tensor#quantize}); the other types are not written.
     */
    public void encode(float[] src, int off, int n, MemorySegment dst, long at) {
        switch (this) {
            case F32 -> MemorySegment.copy(src, off, dst, F32_LE, at, n);
            case F16 -> {
                for (int i = 0; i < n; i++) dst.set(I16_LE, at + 2L * i, Float.floatToFloat16(src[off + i]));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst.set(I16_LE, at + 2L * i, BF16Tensor.fromFloat(src[off + i]));
            }
            case Q8_0 -> Q8_0Tensor.quantize(src, off, n, dst, at);
            default -> throw new IllegalArgumentException("values are not written as " + this);
        }
    }

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Byte offsets of the block's fp16 scales (a copy). */
    public int[] fp16Scales() {
        return fp16Scales.clone();
    }
}
