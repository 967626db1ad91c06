package dev.shallow.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The ggml block formats (ggml/src/ggml-common.h block structs) decoded L lanes at a time, for the tensors' decoders and
 * Linear's kernels. Every format is a sequence of sub-blocks (32 elements; 16 for Q6_K), element e of sub-block s being
 * x = scale(s) * q(e) - min(s) with integer quants q, computed as that float multiply, then that subtract (min 0 for
 * the formats without mins), as ggml/src/ggml-quants.c writes it:
 * <ul>
 * <li>Q8_0 ({@code dequantize_row_q8_0}): scale d, q = qs[e] (int8).
 * <li>Q4_0 ({@code dequantize_row_q4_0}): scale d, q = (qs[e] &amp; 15) - 8 for e &lt; 16, (qs[e - 16] &gt;&gt; 4) - 8 above.
 * <li>Q4_K ({@code dequantize_row_q4_K}): 8 sub-blocks; scale d * sc(s), min dmin * m(s) with the 6-bit sc, m of
 * {@code get_scale_min_k4}; sub-blocks 2j and 2j + 1 take the low and high nibbles of qs[32j .. 32j + 32).
 * <li>Q5_K ({@code dequantize_row_q5_K}): as Q4_K, plus 16 where bit s of qh[e] is set.
 * <li>Q6_K ({@code dequantize_row_q6_K}): 16 sub-blocks of 16; scale d * scales[s] (int8); element l of quarter k
 * (0..3) of half n has q = (low nibble (k &lt; 2) or high nibble of ql[64n + 32(k &amp; 1) + l]) | ((qh[32n + l] &gt;&gt; 2k)
 * &amp; 3) &lt;&lt; 4, minus 32; sub-block s is half s / 8, quarter (s / 2) % 4, l in 16(s % 2) + [0, 16).
 * </ul>
 */
final class Quants {
    static final VectorSpecies<Float> S = Linear.S;
    static final int L = Linear.L;
    /** The bytes that give one float vector (at least 64 bits: below 8 lanes, a masked load of the first L). */
    private static final VectorSpecies<Byte> SB = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));
    private static final VectorMask<Byte> FIRST_L = SB.indexInRange(0, L);
    private static final VectorSpecies<Integer> SI = Linear.SI;
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static final int Q8_0 = 0, Q4_0 = 1, Q4_K = 2, Q5_K = 3, Q6_K = 4;

    private Quants() {
    }

    /** The format number of a block dtype (the constants above). */
    static int kind(DType t) {
        return switch (t) {
            case Q8_0 -> Q8_0;
            case Q4_0 -> Q4_0;
            case Q4_K -> Q4_K;
            case Q5_K -> Q5_K;
            case Q6_K -> Q6_K;
            default -> throw new IllegalArgumentException(t + " is not a block format");
        };
    }

    static DType dtype(int kind) {
        return switch (kind) {
            case Q8_0 -> DType.Q8_0;
            case Q4_0 -> DType.Q4_0;
            case Q4_K -> DType.Q4_K;
            case Q5_K -> DType.Q5_K;
            default -> DType.Q6_K;
        };
    }

    /** Elements per sub-block. */
    static int subBlock(int kind) {
        return kind == Q6_K ? 16 : 32;
    }

    /** Whether the format has mins (x = scale q - min). */
    static boolean hasMins(int kind) {
        return kind == Q4_K || kind == Q5_K;
    }

    static float f16(MemorySegment seg, long at) {
        return Float.float16ToFloat(seg.get(F16, at));
    }

    private static int u8(MemorySegment seg, long at) {
        return seg.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    /**
     * ggml-quants.c get_scale_min_k4 over the 12 bytes at {@code q}: j &lt; 4: sc = q[j] &amp; 63, m = q[j + 4] &amp; 63;
     * else sc = (q[j + 4] &amp; 15) | (q[j - 4] &gt;&gt; 6) &lt;&lt; 4, m = (q[j + 4] &gt;&gt; 4) | (q[j] &gt;&gt; 6) &lt;&lt; 4.
     * Returns sc, or m when {@code min}.
     */
    static int scaleMinK4(MemorySegment seg, long q, int j, boolean min) {
        if (j < 4) return u8(seg, q + j + (min ? 4 : 0)) & 63;
        int b = u8(seg, q + j + 4);
        return min ? (b >> 4) | (u8(seg, q + j) >> 6) << 4 : (b & 15) | (u8(seg, q + j - 4) >> 6) << 4;
    }

    /** The scale of sub-block s of the block at byte b: d, d * sc(s) (K4 scales), d * scales[s] (Q6_K). */
    static float scale(int kind, MemorySegment seg, long b, int s) {
        return switch (kind) {
            case Q4_K, Q5_K -> f16(seg, b) * scaleMinK4(seg, b + 4, s, false);
            case Q6_K -> f16(seg, b + 208) * seg.get(ValueLayout.JAVA_BYTE, b + 192 + s);
            default -> f16(seg, b);
        };
    }

    /** The min of sub-block s: dmin * m(s) (Q4_K, Q5_K), else 0. */
    static float min(int kind, MemorySegment seg, long b, int s) {
        return hasMins(kind) ? f16(seg, b + 2) * scaleMinK4(seg, b + 4, s, true) : 0f;
    }

    /** The quants [part L, part L + L) of sub-block s of the block at byte b, as floats. */
    static FloatVector q(int kind, MemorySegment seg, long b, int s, int part) {
        int e = part * L;
        IntVector q = switch (kind) {
            case Q8_0 -> ints(seg, b + 2 + e);
            case Q4_0 -> nibbles(seg, b + 2 + e % 16, e >= 16 ? 4 : 0).sub(8);
            case Q4_K -> nibbles(seg, b + 16 + 32 * (s >> 1) + e, 4 * (s & 1));
            case Q5_K -> nibbles(seg, b + 48 + 32 * (s >> 1) + e, 4 * (s & 1)).or(bits(seg, b + 16 + e, s, 1).lanewise(VectorOperators.LSHL, 4));
            default -> {
                int n = s >> 3, k = (s >> 1) & 3, l = 16 * (s & 1) + e;
                yield nibbles(seg, b + 64 * n + 32 * (k & 1) + l, 4 * (k >> 1))
                        .or(bits(seg, b + 128 + 32 * n + l, 2 * k, 3).lanewise(VectorOperators.LSHL, 4)).sub(32);
            }
        };
        return (FloatVector) q.convert(VectorOperators.I2F, 0);
    }

    /** L bytes at {@code at}, sign-extended to ints. */
    private static IntVector ints(MemorySegment seg, long at) {
        ByteVector v = L >= 8 ? ByteVector.fromMemorySegment(SB, seg, at, ByteOrder.LITTLE_ENDIAN)
                : ByteVector.fromMemorySegment(SB, seg, at, ByteOrder.LITTLE_ENDIAN, FIRST_L);
        return (IntVector) v.convertShape(VectorOperators.B2I, SI, 0);
    }

    /** The 4 bits at {@code shift} of each of L bytes. */
    private static IntVector nibbles(MemorySegment seg, long at, int shift) {
        return bits(seg, at, shift, 15);
    }

    private static IntVector bits(MemorySegment seg, long at, int shift, int mask) {
        return ints(seg, at).lanewise(VectorOperators.ASHR, shift).and(mask);
    }

    /** Decodes {@code blocks} whole blocks starting at block {@code first} into dst[off ..]: x = scale q - min, lane-wise. */
    static void decode(int kind, MemorySegment seg, long first, int blocks, float[] dst, int off) {
        DType t = dtype(kind);
        int sub = subBlock(kind), subs = t.block / sub;
        for (int i = 0; i < blocks; i++) {
            long b = (first + i) * t.bytes;
            for (int s = 0; s < subs; s++) {
                FloatVector scale = FloatVector.broadcast(S, scale(kind, seg, b, s)), min = FloatVector.broadcast(S, min(kind, seg, b, s));
                for (int p = 0; p < sub / L; p++) q(kind, seg, b, s, p).mul(scale).sub(min).intoArray(dst, off + i * t.block + s * sub + p * L);
            }
        }
    }

    /**
     * sum_k W[k] x[xo + k] over a row of {@code blocks} blocks at byte {@code row}, in this order: per sub-block, a vector
     * chain p = fma(q, x, p) over its vectors from zero (and, for formats with mins, xs = the sum of its x vectors in
     * order); then acc = fma(scale, p, acc) (and accMin = fma(min, xs, accMin)), sub-blocks in order from zero; the
     * result sumLanes(acc) (- sumLanes(accMin)). Equal to the decoded row's dot product within rounding.
     */
    static float dot(int kind, MemorySegment seg, long row, int blocks, float[] x, int xo) {
        DType t = dtype(kind);
        int sub = subBlock(kind), subs = t.block / sub, parts = sub / L;
        boolean mins = hasMins(kind);
        FloatVector acc = FloatVector.zero(S), accMin = acc;
        for (int i = 0; i < blocks; i++) {
            long b = row + (long) i * t.bytes;
            for (int s = 0; s < subs; s++) {
                int xs0 = xo + i * t.block + s * sub;
                FloatVector p = FloatVector.zero(S), xs = p;
                for (int part = 0; part < parts; part++) {
                    FloatVector xv = FloatVector.fromArray(S, x, xs0 + part * L);
                    p = q(kind, seg, b, s, part).fma(xv, p);
                    if (mins) xs = xs.add(xv);
                }
                acc = p.fma(FloatVector.broadcast(S, scale(kind, seg, b, s)), acc);
                if (mins) accMin = xs.fma(FloatVector.broadcast(S, min(kind, seg, b, s)), accMin);
            }
        }
        return mins ? Linear.sumLanes(acc) - Linear.sumLanes(accMin) : Linear.sumLanes(acc);
    }
}
