package dev.shallow.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * ggml block formats for tests, written independently of the main code: a plain scalar decoder translated line by line
 * from ggml-common.h's block structs and ggml-quants.c's dequantize_row_q8_0, _q4_0, _q4_K, _q5_K, _q6_K (with
 * get_scale_min_k4), random blocks with scales in a sane range, and a simple (not ggml's) Q4_K encoder.
 */
public final class GgmlBlocks {
    public static final DType[] TYPES = {DType.Q8_0, DType.Q4_0, DType.Q4_K, DType.Q5_K, DType.Q6_K};

    private GgmlBlocks() {
    }

    static float half(byte[] b, int at) {
        return Float.float16ToFloat((short) ((b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8));
    }

    static void putHalf(byte[] b, int at, short h) {
        b[at] = (byte) h;
        b[at + 1] = (byte) (h >> 8);
    }

    /** ggml-quants.c get_scale_min_k4: {sc, m} of sub-block j from the 12 scale bytes at q. */
    static int[] scaleMinK4(int j, byte[] b, int q) {
        if (j < 4) return new int[] {b[q + j] & 63, b[q + j + 4] & 63};
        int d = (b[q + j + 4] & 0xF) | (((b[q + j - 4] & 0xFF) >> 6) << 4);
        int m = ((b[q + j + 4] & 0xFF) >> 4) | (((b[q + j] & 0xFF) >> 6) << 4);
        return new int[] {d, m};
    }

    /** Every element of the blocks in {@code b}, decoded as ggml's dequantize_row_* does. */
    public static float[] dequantize(DType t, byte[] b) {
        int nb = b.length / t.bytes;
        float[] y = new float[nb * t.block];
        for (int i = 0; i < nb; i++) {
            int o = i * t.bytes, yo = i * t.block;
            switch (t) {
                case Q8_0 -> { // block_q8_0 { ggml_half d; int8_t qs[32]; }
                    float d = half(b, o);
                    for (int j = 0; j < 32; j++) y[yo + j] = b[o + 2 + j] * d;
                }
                case Q4_0 -> { // block_q4_0 { ggml_half d; uint8_t qs[16]; }
                    float d = half(b, o);
                    for (int j = 0; j < 16; j++) {
                        int x0 = (b[o + 2 + j] & 0x0F) - 8, x1 = ((b[o + 2 + j] & 0xFF) >> 4) - 8;
                        y[yo + j] = x0 * d;
                        y[yo + j + 16] = x1 * d;
                    }
                }
                case Q4_K, Q5_K -> { // { ggml_half d, dmin; uint8_t scales[12]; [Q5_K: uint8_t qh[32];] uint8_t qs[128]; }
                    boolean five = t == DType.Q5_K;
                    float d = half(b, o), min = half(b, o + 2);
                    int ql = o + (five ? 48 : 16), qh = o + 16, is = 0, u1 = 1, u2 = 2, yi = yo;
                    for (int j = 0; j < 256; j += 64) {
                        int[] sm = scaleMinK4(is, b, o + 4);
                        float d1 = d * sm[0], m1 = min * sm[1];
                        sm = scaleMinK4(is + 1, b, o + 4);
                        float d2 = d * sm[0], m2 = min * sm[1];
                        for (int l = 0; l < 32; l++) y[yi++] = d1 * ((b[ql + l] & 0xF) + (five && (b[qh + l] & u1) != 0 ? 16 : 0)) - m1;
                        for (int l = 0; l < 32; l++) y[yi++] = d2 * (((b[ql + l] & 0xFF) >> 4) + (five && (b[qh + l] & u2) != 0 ? 16 : 0)) - m2;
                        ql += 32;
                        is += 2;
                        u1 <<= 2;
                        u2 <<= 2;
                    }
                }
                case Q6_K -> { // block_q6_K { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; ggml_half d; }
                    float d = half(b, o + 208);
                    int ql = o, qh = o + 128, sc = o + 192, yi = yo;
                    for (int n = 0; n < 256; n += 128) {
                        for (int l = 0; l < 32; l++) {
                            int is = l / 16;
                            int q1 = (byte) ((b[ql + l] & 0xF) | (((b[qh + l] >> 0) & 3) << 4)) - 32;
                            int q2 = (byte) ((b[ql + l + 32] & 0xF) | (((b[qh + l] >> 2) & 3) << 4)) - 32;
                            int q3 = (byte) (((b[ql + l] & 0xFF) >> 4) | (((b[qh + l] >> 4) & 3) << 4)) - 32;
                            int q4 = (byte) (((b[ql + l + 32] & 0xFF) >> 4) | (((b[qh + l] >> 6) & 3) << 4)) - 32;
                            y[yi + l] = d * b[sc + is] * q1;
                            y[yi + l + 32] = d * b[sc + is + 2] * q2;
                            y[yi + l + 64] = d * b[sc + is + 4] * q3;
                            y[yi + l + 96] = d * b[sc + is + 6] * q4;
                        }
                        yi += 128;
                        ql += 64;
                        qh += 32;
                        sc += 8;
                    }
                }
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
        return y;
    }

    /** The min subtracted from each element (dmin * m of its sub-block for Q4_K and Q5_K; 0 for the other formats). */
    public static float[] mins(DType t, byte[] b) {
        float[] y = new float[b.length / t.bytes * t.block];
        if (t != DType.Q4_K && t != DType.Q5_K) return y;
        for (int i = 0; i < y.length; i++) {
            int o = i / 256 * t.bytes;
            y[i] = half(b, o + 2) * scaleMinK4(i % 256 / 32, b, o + 4)[1];
        }
        return y;
    }

    /** Byte offsets of the fp16 scales in a block of t (d first). */
    static int[] halves(DType t) {
        return switch (t) {
            case Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> new int[] {0};
        };
    }

    /**
     * Random blocks for a [rows, cols] tensor: random quant and scale bytes, each fp16 scale uniform in
     * [-magnitude, magnitude] (dmin in [0, magnitude], as a min is subtracted), so the decoded values stay finite.
     */
    public static byte[] random(DType t, int rows, int cols, long seed, float magnitude) {
        Random rnd = new Random(seed);
        byte[] b = new byte[Math.toIntExact(t.byteSize((long) rows * cols))];
        rnd.nextBytes(b);
        int[] h = halves(t);
        for (int o = 0; o < b.length; o += t.bytes) {
            for (int k = 0; k < h.length; k++) {
                float v = k == 0 ? (rnd.nextFloat() * 2 - 1) * magnitude : rnd.nextFloat() * magnitude;
                putHalf(b, o + h[k], Float.floatToFloat16(v));
            }
        }
        return b;
    }

    public static Tensor tensor(DType t, byte[] blocks, int rows, int cols) {
        return Tensor.of(t, MemorySegment.ofArray(blocks), new long[] {rows, cols});
    }

    /**
     * A Q4_K encoding of {@code x} (a multiple of 256 values; not ggml's search, just valid blocks): per sub-block of 32,
     * min and max; d = max over sub-blocks of (max - min) / 15 / 63, dmin = max of -min / 63; sc = round(range / 15 / d),
     * m = round(-min / dmin) (0 for a positive min) packed as get_scale_min_k4 reads them, q = round((x + dmin m) / (d sc)).
     */
    public static byte[] q4k(float[] x) {
        byte[] out = new byte[x.length / 256 * 144];
        for (int blk = 0; blk < x.length / 256; blk++) {
            int o = blk * 144, xo = blk * 256;
            float[] lo = new float[8], range = new float[8];
            float maxScale = 0, maxMin = 0;
            for (int s = 0; s < 8; s++) {
                float mn = Float.MAX_VALUE, mx = -Float.MAX_VALUE;
                for (int l = 0; l < 32; l++) {
                    mn = Math.min(mn, x[xo + 32 * s + l]);
                    mx = Math.max(mx, x[xo + 32 * s + l]);
                }
                lo[s] = Math.min(mn, 0);
                range[s] = mx - lo[s];
                maxScale = Math.max(maxScale, range[s] / 15);
                maxMin = Math.max(maxMin, -lo[s]);
            }
            short dh = Float.floatToFloat16(maxScale / 63), mh = Float.floatToFloat16(maxMin / 63);
            float d = Float.float16ToFloat(dh), dmin = Float.float16ToFloat(mh);
            putHalf(out, o, dh);
            putHalf(out, o + 2, mh);
            int[] sc = new int[8], m = new int[8];
            for (int s = 0; s < 8; s++) {
                sc[s] = d == 0 ? 0 : Math.clamp(Math.round(range[s] / 15 / d), 0, 63);
                m[s] = dmin == 0 ? 0 : Math.clamp(Math.round(-lo[s] / dmin), 0, 63);
            }
            for (int j = 0; j < 8; j++) { // the inverse of get_scale_min_k4
                if (j < 4) {
                    out[o + 4 + j] |= (byte) sc[j];
                    out[o + 4 + j + 4] |= (byte) m[j];
                } else {
                    out[o + 4 + j + 4] = (byte) ((sc[j] & 0xF) | (m[j] & 0xF) << 4);
                    out[o + 4 + j - 4] |= (byte) ((sc[j] >> 4) << 6);
                    out[o + 4 + j] |= (byte) ((m[j] >> 4) << 6);
                }
            }
            for (int s = 0; s < 8; s++) {
                float scale = d * sc[s], min = dmin * m[s];
                for (int l = 0; l < 32; l++) {
                    int q = scale == 0 ? 0 : Math.clamp(Math.round((x[xo + 32 * s + l] + min) / scale), 0, 15);
                    int at = o + 16 + 32 * (s / 2) + l;
                    out[at] |= (byte) (s % 2 == 0 ? q : q << 4);
                }
            }
        }
        return out;
    }
}
