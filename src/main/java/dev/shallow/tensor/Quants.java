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

    /**
     * Decodes {@code blocks} whole blocks starting at block {@code first} into dst[off ..]: x = scale q - min, lane-wise
     * (a multiply, then a subtract, so the bits are those of ggml's scalar code).
     */
    static void decode(int kind, MemorySegment seg, long first, int blocks, float[] dst, int off) {
        run(kind, seg, first * dtype(kind).bytes, blocks, null, 0, dst, off);
    }

    /**
     * sum_k W[k] x[xo + k] over a row of {@code blocks} blocks at byte {@code row}, in this order: per sub-block, a vector
     * chain p = fma(q, x, p) over its vectors from zero (and, for formats with mins, xs = the sum of its x vectors in
     * order); then acc = fma(scale, p, acc) (and accMin = fma(min, xs, accMin)), sub-blocks in order from zero; the
     * result sumLanes(acc) (- sumLanes(accMin)). Equal to the decoded row's dot product within rounding.
     */
    static float dot(int kind, MemorySegment seg, long row, int blocks, float[] x, int xo) {
        return run(kind, seg, row, blocks, x, xo, null, 0);
    }

    /**
     * The kernel of each family of formats over the blocks at byte {@code at}: the dot product with x when dst is null,
     * else the decoded values into dst. One loop per family (the switch outside it), so that the JIT compiles each with
     * its vectors in registers: a vector passed through a call that is not inlined is boxed, 10x slower.
     */
    private static float run(int kind, MemorySegment seg, long at, int blocks, float[] x, int xo, float[] dst, int off) {
        return switch (kind) {
            case Q8_0, Q4_0 -> legacy(kind == Q8_0, seg, at, blocks, x, xo, dst, off);
            case Q4_K, Q5_K -> k45(kind == Q5_K, seg, at, blocks, x, xo, dst, off);
            default -> q6k(seg, at, blocks, x, xo, dst, off);
        };
    }

    /** Q8_0 and Q4_0: one sub-block of 32 per block, fp16 d at byte 0, quants from byte 2. */
    private static float legacy(boolean q8, MemorySegment seg, long at, int blocks, float[] x, int xo, float[] dst, int off) {
        int bytes = q8 ? DType.Q8_0.bytes : DType.Q4_0.bytes;
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < blocks; i++) {
            long b = at + (long) i * bytes;
            float d = f16(seg, b);
            FloatVector p = FloatVector.zero(S);
            for (int e = 0; e < 32; e += L) {
                IntVector qi = q8 ? ints(seg, b + 2 + e) : nibbles(seg, b + 2 + e % 16, e >= 16 ? 4 : 0).sub(8);
                FloatVector q = (FloatVector) qi.convert(VectorOperators.I2F, 0);
                if (dst != null) q.mul(d).intoArray(dst, off + i * 32 + e);
                else p = q.fma(FloatVector.fromArray(S, x, xo + i * 32 + e), p);
            }
            if (dst == null) acc = p.fma(FloatVector.broadcast(S, d), acc);
        }
        return Linear.sumLanes(acc);
    }

    /** Q4_K and Q5_K: 8 sub-blocks of 32 with 6-bit scales and mins; Q5_K's fifth bits in qh. */
    private static float k45(boolean five, MemorySegment seg, long at, int blocks, float[] x, int xo, float[] dst, int off) {
        int bytes = five ? DType.Q5_K.bytes : DType.Q4_K.bytes, qs = five ? 48 : 16;
        FloatVector acc = FloatVector.zero(S), accMin = acc;
        for (int i = 0; i < blocks; i++) {
            long b = at + (long) i * bytes;
            float d = f16(seg, b), dmin = f16(seg, b + 2);
            for (int s = 0; s < 8; s++) {
                float scale = d * scaleMinK4(seg, b + 4, s, false), min = dmin * scaleMinK4(seg, b + 4, s, true);
                FloatVector p = FloatVector.zero(S), xs = p;
                for (int e = 0; e < 32; e += L) {
                    IntVector qi = nibbles(seg, b + qs + 32 * (s >> 1) + e, 4 * (s & 1));
                    if (five) qi = qi.or(bits(seg, b + 16 + e, s, 1).lanewise(VectorOperators.LSHL, 4));
                    FloatVector q = (FloatVector) qi.convert(VectorOperators.I2F, 0);
                    int k = i * 256 + s * 32 + e;
                    if (dst != null) {
                        q.mul(scale).sub(min).intoArray(dst, off + k);
                    } else {
                        FloatVector xv = FloatVector.fromArray(S, x, xo + k);
                        p = q.fma(xv, p);
                        xs = xs.add(xv);
                    }
                }
                if (dst == null) {
                    acc = p.fma(FloatVector.broadcast(S, scale), acc);
                    accMin = xs.fma(FloatVector.broadcast(S, min), accMin);
                }
            }
        }
        return Linear.sumLanes(acc) - Linear.sumLanes(accMin);
    }

    /** Q6_K: 16 sub-blocks of 16 with int8 scales, fp16 d at byte 208. */
    private static float q6k(MemorySegment seg, long at, int blocks, float[] x, int xo, float[] dst, int off) {
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < blocks; i++) {
            long b = at + (long) i * DType.Q6_K.bytes;
            float d = f16(seg, b + 208);
            for (int s = 0; s < 16; s++) {
                float scale = d * seg.get(ValueLayout.JAVA_BYTE, b + 192 + s);
                int n = s >> 3, quarter = (s >> 1) & 3;
                FloatVector p = FloatVector.zero(S);
                for (int e = 0; e < 16; e += L) {
                    int l = 16 * (s & 1) + e;
                    IntVector qi = nibbles(seg, b + 64 * n + 32 * (quarter & 1) + l, 4 * (quarter >> 1))
                            .or(bits(seg, b + 128 + 32 * n + l, 2 * quarter, 3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    FloatVector q = (FloatVector) qi.convert(VectorOperators.I2F, 0);
                    int k = i * 256 + s * 16 + e;
                    if (dst != null) q.mul(scale).intoArray(dst, off + k);
                    else p = q.fma(FloatVector.fromArray(S, x, xo + k), p);
                }
                if (dst == null) acc = p.fma(FloatVector.broadcast(S, scale), acc);
            }
        }
        return Linear.sumLanes(acc);
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
}
