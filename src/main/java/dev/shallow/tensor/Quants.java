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
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The ggml block formats (ggml/src/ggml-common.h block structs) decoded L lanes at a time, for the tensors' decoders and
 * Linear's kernels. Every format is a sequence of sub-blocks (32 elements; 16 for Q6_K), element e of sub-block s being
 * x = scale(s) * q(e) - min(s) with integer quants q, computed as that float multiply, then that subtract (min 0 for
 * the formats without mins), as ggml/src/ggml-quants.c writes it (C semantics; a compiler contracting d1 * q - m1 into
 * one fma would differ in the last bit for Q4_K and Q5_K, which the source does not ask for):
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
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static final int Q8_0 = 0, Q4_0 = 1, Q4_K = 2, Q5_K = 3, Q6_K = 4;
    /**
     * Bytes per block of each format, as static constants: the JIT folds these, not an enum's final field (read in the
     * loop, DType.Q8_0.bytes made the Q8_0 dot measurably 15% slower).
     */
    private static final int Q8_0_BYTES = DType.Q8_0.bytes, Q4_0_BYTES = DType.Q4_0.bytes, Q4_K_BYTES = DType.Q4_K.bytes,
            Q5_K_BYTES = DType.Q5_K.bytes, Q6_K_BYTES = DType.Q6_K.bytes;

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

    /**
     * ggml-quants.c get_scale_min_k4 for sub-block s of the 12 bytes q, given as a = q[0..8) and c = q[8..12) (little
     * endian): s &lt; 4: sc = q[s] &amp; 63, m = q[s + 4] &amp; 63; s &gt;= 4: sc = (q[s + 4] &amp; 15) | (q[s - 4] &gt;&gt; 6) &lt;&lt; 4,
     * m = (q[s + 4] &gt;&gt; 4) | (q[s] &gt;&gt; 6) &lt;&lt; 4. Two small functions, not a table filled per block: the kernels call
     * them in their loops, where the JIT inlines them (a method filling arrays was compiled apart and called per block).
     */
    private static int scaleK4(long a, int c, int s) {
        if (s < 4) return (int) (a >>> (8 * s)) & 63;
        int lo = (int) (a >>> (8 * (s - 4))) & 0xFF, hi = (c >>> (8 * (s - 4))) & 0xFF; // q[s - 4], q[s + 4]
        return (hi & 15) | (lo >> 6) << 4;
    }

    /** The 6-bit min of sub-block s, as {@link #scaleK4}. */
    private static int minK4(long a, int c, int s) {
        if (s < 4) return (int) (a >>> (8 * s + 32)) & 63;
        int mid = (int) (a >>> (8 * s)) & 0xFF, hi = (c >>> (8 * (s - 4))) & 0xFF; // q[s], q[s + 4]
        return (hi >> 4) | (mid >> 6) << 4;
    }

    /**
     * Decodes {@code blocks} whole blocks starting at block {@code first} into dst[off ..]: x = scale q - min, lane-wise
     * (a multiply, then a subtract, so the bits are those of ggml's scalar code).
     */
    static void decode(int kind, MemorySegment seg, long first, int blocks, float[] dst, int off) {
        long at = first * dtype(kind).bytes;
        switch (kind) {
            case Q8_0 -> legacyDecode(true, seg, at, blocks, dst, off);
            case Q4_0 -> legacyDecode(false, seg, at, blocks, dst, off);
            case Q4_K -> kDecode(false, seg, at, blocks, dst, off);
            case Q5_K -> kDecode(true, seg, at, blocks, dst, off);
            default -> q6kDecode(seg, at, blocks, dst, off);
        }
    }

    /**
     * sum_k W[k] x[xo + k] over a row of {@code blocks} blocks at byte {@code row}. Q8_0, Q4_0: per block a vector chain
     * p = q x over its first vector, then p = fma(q, x, p), then acc = fma(d, p, acc); Q8_0 with two accumulators, even
     * blocks and odd blocks, added at the end (1.2-1.4x on rows streamed from memory: two blocks' conversions in flight).
     * Q4_K, Q5_K: the same per sub-block (scale for d), and the mins' part sum_s min(s) xsum[s] as one scalar fma chain m
     * over the sub-blocks, subtracted at the end; {@code xsums[xso + s]} holds the sum of the x of sub-block s
     * ({@link #subBlockSums}). Q6_K: acc = fma(scale(s), q x, acc) per vector, in the order of ggml's dequantize_row_q6_K
     * (per half, per l, the four quarters). Blocks in order, accumulators from zero; the result sumLanes of their sum (- m).
     * Equal to the decoded row's dot product within rounding.
     * Each format has its own loop (the switch outside it, no branch inside), so that the JIT compiles each with its
     * vectors in registers: measured 1.5x faster on Q8_0 than one loop serving the decode and the dot of two formats.
     */
    static float dot(int kind, MemorySegment seg, long row, int blocks, float[] x, int xo, float[] xsums, int xso) {
        return switch (kind) {
            case Q8_0 -> q8_0Dot(seg, row, blocks, x, xo);
            case Q4_0 -> q4_0Dot(seg, row, blocks, x, xo);
            case Q4_K -> kDot(false, seg, row, blocks, x, xo, xsums, xso);
            case Q5_K -> kDot(true, seg, row, blocks, x, xo, xsums, xso);
            default -> q6kDot(seg, row, blocks, x, xo);
        };
    }

    /** Whether {@link #dot} reads sums of x per sub-block of 32 (the formats with mins). */
    static boolean needsSubBlockSums(int kind) {
        return kind == Q4_K || kind == Q5_K;
    }

    /** sums[so + j] = the sum of x[xo + 32 j ..+ 32) for j &lt; n / 32: its vectors added in order, then sumLanes. */
    static void subBlockSums(float[] x, int xo, int n, float[] sums, int so) {
        for (int j = 0; j < n / 32; j++) {
            FloatVector v = FloatVector.fromArray(S, x, xo + 32 * j);
            for (int e = L; e < 32; e += L) v = v.add(FloatVector.fromArray(S, x, xo + 32 * j + e));
            sums[so + j] = Linear.sumLanes(v);
        }
    }

    /**
     * Q8_0 and Q4_0: one sub-block of 32 per block, fp16 d at byte 0, quants from byte 2. A dot loop per format: one loop
     * choosing the format by a flag measured 13% slower on Q8_0 (the flag is not folded into the loop).
     */
    private static float q8_0Dot(MemorySegment seg, long at, int blocks, float[] x, int xo) {
        FloatVector even = FloatVector.zero(S), odd = even;
        int i = 0;
        for (; i + 1 < blocks; i += 2) {
            long b = at + (long) i * Q8_0_BYTES;
            even = q8_0Block(seg, b, x, xo + i * 32, even);
            odd = q8_0Block(seg, b + Q8_0_BYTES, x, xo + i * 32 + 32, odd);
        }
        if (i < blocks) even = q8_0Block(seg, at + (long) i * Q8_0_BYTES, x, xo + i * 32, even);
        return Linear.sumLanes(even.add(odd));
    }

    /** acc + d p for the Q8_0 block at byte b against x[xk ..+ 32): p = q x over its first vector, then p = fma(q, x, p). */
    private static FloatVector q8_0Block(MemorySegment seg, long b, float[] x, int xk, FloatVector acc) {
        FloatVector p = q8_0Quants(seg, b, 0).mul(FloatVector.fromArray(S, x, xk));
        for (int e = L; e < 32; e += L) p = q8_0Quants(seg, b, e).fma(FloatVector.fromArray(S, x, xk + e), p);
        return p.fma(FloatVector.broadcast(S, f16(seg, b)), acc);
    }

    private static float q4_0Dot(MemorySegment seg, long at, int blocks, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < blocks; i++) {
            long b = at + (long) i * Q4_0_BYTES;
            FloatVector p = FloatVector.zero(S);
            for (int e = 0; e < 32; e += L) p = q4_0Quants(seg, b, e).fma(FloatVector.fromArray(S, x, xo + i * 32 + e), p);
            acc = p.fma(FloatVector.broadcast(S, f16(seg, b)), acc);
        }
        return Linear.sumLanes(acc);
    }

    private static void legacyDecode(boolean q8, MemorySegment seg, long at, int blocks, float[] dst, int off) {
        int bytes = q8 ? Q8_0_BYTES : Q4_0_BYTES;
        for (int i = 0; i < blocks; i++) {
            long b = at + (long) i * bytes;
            float d = f16(seg, b);
            for (int e = 0; e < 32; e += L) (q8 ? q8_0Quants(seg, b, e) : q4_0Quants(seg, b, e)).mul(d).intoArray(dst, off + i * 32 + e);
        }
    }

    /** Quants e .. e + L of the Q8_0 block at byte b: bytes straight to floats (B2F; measured 70 us against 70-90 us by B2I then I2F, 512 x 2048, one core). */
    private static FloatVector q8_0Quants(MemorySegment seg, long b, int e) {
        return (FloatVector) bytes(seg, b + 2 + e).convertShape(VectorOperators.B2F, S, 0);
    }

    /** Quants e .. e + L of the Q4_0 block at byte b: (qs[e] &amp; 15) - 8 below 16, (qs[e - 16] &gt;&gt; 4) - 8 above. */
    private static FloatVector q4_0Quants(MemorySegment seg, long b, int e) {
        return (FloatVector) nibbles(seg, b + 2 + e % 16, e >= 16 ? 4 : 0).sub(8).convert(VectorOperators.I2F, 0);
    }

    /**
     * Q4_K and Q5_K: 8 sub-blocks of 32 with 6-bit scales and mins, taken in pairs (2j, 2j + 1) whose quants are the low
     * and high nibbles of the same 32 bytes, each byte read once; Q5_K's fifth bits are bits 2j and 2j + 1 of qh. A block's
     * eight scales (d times the 6-bit scale) and eight mins ({@link #kScalesAndMins}) and its mins' terms come first, then
     * the vector loop over the quants (Q4_K GEMV 1.15x over computing them between the vector steps, before the unpacking
     * in vector lanes).
     */
    private static float kDot(boolean five, MemorySegment seg, long at, int blocks, float[] x, int xo, float[] xsums, int xso) {
        int bytes = five ? Q5_K_BYTES : Q4_K_BYTES, qs = five ? 48 : 16;
        FloatVector acc = FloatVector.zero(S);
        float m = 0;
        float[] scales = new float[16];
        for (int i = 0; i < blocks; i++) {
            long b = at + (long) i * bytes;
            kScalesAndMins(seg, b, scales);
            for (int s = 0; s < 8; s++) m = Math.fma(scales[8 + s], xsums[xso + 8 * i + s], m);
            for (int j = 0; j < 4; j++) {
                int s0 = 2 * j, s1 = s0 + 1;
                FloatVector p0 = FloatVector.zero(S), p1 = p0;
                for (int e = 0; e < 32; e += L) {
                    IntVector raw = ints(seg, b + qs + 32 * j + e);
                    IntVector lo = raw.and(15), hi = raw.lanewise(VectorOperators.ASHR, 4).and(15);
                    if (five) {
                        IntVector h = ints(seg, b + 16 + e);
                        lo = lo.or(h.lanewise(VectorOperators.ASHR, s0).and(1).lanewise(VectorOperators.LSHL, 4));
                        hi = hi.or(h.lanewise(VectorOperators.ASHR, s1).and(1).lanewise(VectorOperators.LSHL, 4));
                    }
                    int k = xo + i * 256 + 64 * j + e;
                    p0 = ((FloatVector) lo.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(S, x, k), p0);
                    p1 = ((FloatVector) hi.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(S, x, k + 32), p1);
                }
                acc = p1.fma(FloatVector.broadcast(S, scales[s1]), p0.fma(FloatVector.broadcast(S, scales[s0]), acc));
            }
        }
        return Linear.sumLanes(acc) - m;
    }

    /**
     * out[s] = d * scale(s) and out[8 + s] = dmin * min(s) of the Q4_K/Q5_K block at byte b, as {@link #scaleK4} and
     * {@link #minK4} give them. With 16 lanes the 16 are unpacked in one vector: lane t takes byte K_LOW[t] of the 12 at
     * b + 4 (shifted right by K_SHIFT[t], masked by K_MASK[t]) and the top two bits of byte K_HIGH[t] as bits 4-5 (where
     * K_TOP[t] = 48), times d (lanes 0-7) or dmin (8-15): Q4_K GEMV 1.37x over the scalar unpacking (one core, rows in L2).
     * Narrower vectors unpack them in scalar code (the same values): split into parts, the vector version ran 3x slower.
     */
    private static void kScalesAndMins(MemorySegment seg, long b, float[] out) {
        float d = f16(seg, b), dmin = f16(seg, b + 2);
        if (L != 16) {
            long a = seg.get(U64, b + 4);
            int c = seg.get(U32, b + 12);
            for (int s = 0; s < 8; s++) {
                out[s] = d * scaleK4(a, c, s);
                out[8 + s] = dmin * minK4(a, c, s);
            }
            return;
        }
        ByteVector q = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, seg, b + 4, ByteOrder.LITTLE_ENDIAN); // 12 bytes and 4 of the next field
        IntVector a = ((IntVector) q.rearrange(K_LOW).convertShape(VectorOperators.B2I, SI, 0)).and(0xFF);
        IntVector c = ((IntVector) q.rearrange(K_HIGH).convertShape(VectorOperators.B2I, SI, 0)).and(0xFF);
        IntVector v = a.lanewise(VectorOperators.LSHR, K_SHIFT).and(K_MASK).or(c.lanewise(VectorOperators.LSHR, 6).lanewise(VectorOperators.LSHL, 4).and(K_TOP));
        ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(FloatVector.broadcast(S, d).blend(dmin, K_MINS)).intoArray(out, 0);
    }

    /** Lane t of {@link #kScalesAndMins} (16 lanes): sub-block t % 8, its scale below 8, its min from 8 (get_scale_min_k4's cases). */
    private static final VectorShuffle<Byte> K_LOW = VectorShuffle.fromArray(ByteVector.SPECIES_128, new int[] {0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11}, 0),
            K_HIGH = VectorShuffle.fromArray(ByteVector.SPECIES_128, new int[] {0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 4, 5, 6, 7}, 0);
    private static final IntVector K_SHIFT = lanes(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4),
            K_MASK = lanes(63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15), K_TOP = lanes(0, 0, 0, 0, 48, 48, 48, 48, 0, 0, 0, 0, 48, 48, 48, 48);
    private static final VectorMask<Float> K_MINS = S.indexInRange(-8, L);

    /** These 16 values as an int vector of SI's lanes (its first L when it has fewer: unused then). */
    private static IntVector lanes(int... v) {
        return IntVector.fromArray(SI, v, 0, SI.indexInRange(0, v.length));
    }

    private static void kDecode(boolean five, MemorySegment seg, long at, int blocks, float[] dst, int off) {
        int bytes = five ? Q5_K_BYTES : Q4_K_BYTES, qs = five ? 48 : 16;
        for (int i = 0; i < blocks; i++) {
            long b = at + (long) i * bytes, a = seg.get(U64, b + 4);
            int c = seg.get(U32, b + 12);
            float d = f16(seg, b), dmin = f16(seg, b + 2);
            for (int j = 0; j < 4; j++) {
                float sc0 = d * scaleK4(a, c, 2 * j), m0 = dmin * minK4(a, c, 2 * j), sc1 = d * scaleK4(a, c, 2 * j + 1), m1 = dmin * minK4(a, c, 2 * j + 1);
                for (int e = 0; e < 32; e += L) {
                    IntVector raw = ints(seg, b + qs + 32 * j + e), h = five ? ints(seg, b + 16 + e) : null;
                    int k = off + i * 256 + 64 * j + e;
                    kQuants(raw, h, 2 * j).mul(sc0).sub(m0).intoArray(dst, k);
                    kQuants(raw, h, 2 * j + 1).mul(sc1).sub(m1).intoArray(dst, k + 32);
                }
            }
        }
    }

    /** The quants of sub-block s from its pair's bytes {@code raw}: nibble s % 2, plus 16 where bit s of {@code h} (Q5_K's qh; null for Q4_K) is set. */
    private static FloatVector kQuants(IntVector raw, IntVector h, int s) {
        IntVector q = raw.lanewise(VectorOperators.ASHR, 4 * (s % 2)).and(15);
        if (h != null) q = q.or(h.lanewise(VectorOperators.ASHR, s).and(1).lanewise(VectorOperators.LSHL, 4));
        return (FloatVector) q.convert(VectorOperators.I2F, 0);
    }

    /**
     * Q6_K in ggml's order: per half n of 128, per l (L at a time), the four quarters; element 128n + 32k + l has int8
     * scale scales[8n + 2k + l / 16].
     */
    private static float q6kDot(MemorySegment seg, long at, int blocks, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(S);
        float[] scales = new float[16];
        for (int i = 0; i < blocks; i++) {
            long b = at + (long) i * Q6_K_BYTES;
            q6kScales(seg, b, scales);
            for (int n = 0; n < 2; n++) {
                for (int l = 0; l < 32; l += L) {
                    for (int k = 0; k < 4; k++) {
                        int e = i * 256 + 128 * n + 32 * k + l;
                        acc = q6kQuants(seg, b, n, k, l).mul(FloatVector.fromArray(S, x, xo + e)).fma(FloatVector.broadcast(S, scales[8 * n + 2 * k + l / 16]), acc);
                    }
                }
            }
        }
        return Linear.sumLanes(acc);
    }

    private static void q6kDecode(MemorySegment seg, long at, int blocks, float[] dst, int off) {
        float[] scales = new float[16];
        for (int i = 0; i < blocks; i++) {
            long b = at + (long) i * Q6_K_BYTES;
            q6kScales(seg, b, scales);
            for (int n = 0; n < 2; n++) {
                for (int l = 0; l < 32; l += L) {
                    for (int k = 0; k < 4; k++) q6kQuants(seg, b, n, k, l).mul(scales[8 * n + 2 * k + l / 16]).intoArray(dst, off + i * 256 + 128 * n + 32 * k + l);
                }
            }
        }
    }

    /** scales[s] = d * scales[s] (int8) of the Q6_K block at byte b, d the fp16 at byte 208. */
    private static void q6kScales(MemorySegment seg, long b, float[] scales) {
        float d = f16(seg, b + 208);
        for (int s = 0; s < 16; s++) scales[s] = d * seg.get(ValueLayout.JAVA_BYTE, b + 192 + s);
    }

    /**
     * Quants l .. l + L of quarter k of half n of the Q6_K block at byte b: (low nibble (k &lt; 2) or high nibble of
     * ql[64n + 32(k &amp; 1) + l]) | ((qh[32n + l] &gt;&gt; 2k) &amp; 3) &lt;&lt; 4, minus 32.
     */
    private static FloatVector q6kQuants(MemorySegment seg, long b, int n, int k, int l) {
        IntVector low = bits(seg, b + 64 * n + 32 * (k & 1) + l, 4 * (k >> 1), 15);
        return (FloatVector) low.or(bits(seg, b + 128 + 32 * n + l, 2 * k, 3).lanewise(VectorOperators.LSHL, 4)).sub(32).convert(VectorOperators.I2F, 0);
    }

    /** L bytes at {@code at} (in the first L lanes). */
    private static ByteVector bytes(MemorySegment seg, long at) {
        return L >= 8 ? ByteVector.fromMemorySegment(SB, seg, at, ByteOrder.LITTLE_ENDIAN)
                : ByteVector.fromMemorySegment(SB, seg, at, ByteOrder.LITTLE_ENDIAN, FIRST_L);
    }

    /** L bytes at {@code at}, sign-extended to ints. */
    private static IntVector ints(MemorySegment seg, long at) {
        return (IntVector) bytes(seg, at).convertShape(VectorOperators.B2I, SI, 0);
    }

    /** The 4 bits at {@code shift} of each of L bytes. */
    private static IntVector nibbles(MemorySegment seg, long at, int shift) {
        return bits(seg, at, shift, 15);
    }

    private static IntVector bits(MemorySegment seg, long at, int shift, int mask) {
        return ints(seg, at).lanewise(VectorOperators.ASHR, shift).and(mask);
    }
}
