package dev.shallow.heal;

import java.util.Arrays;

/**
 * bitsandbytes' signed 8-bit dynamic map ({@code create_dynamic_map(signed=True)}, Dettmers 2015)
 * and blockwise quantization with it, which QLoRA's double quantization applies to the NF4 block
 * scales. The 256 values: 0, 1, and for each decade i = 0..6 the 2^i midpoints of
 * linspace(0.1, 1, 2^i + 1) times 10^(i-6), with both signs. Computed here in double and rounded
 * once: at most 1 ulp from bitsandbytes' table, which it builds from float32 linspace.
 */
public final class DynamicMap {
    /** Values per block of the quantized tensor (bitsandbytes' blocksize=256 for the NF4 absmax). */
    public static final int BLOCK = 256;
    private static final float[] VALUES = build();
    private static final float[] MIDPOINTS = midpoints(VALUES);

    private DynamicMap() {
    }

    private static float[] build() {
        double[] v = new double[256];
        int n = 0;
        for (int i = 0; i < 7; i++) {
            int k = 1 << i;
            for (int j = 0; j < k; j++) {
                double lo = 0.1 + 0.9 * j / k, hi = 0.1 + 0.9 * (j + 1) / k;
                double m = (lo + hi) / 2 * Math.pow(10, i - 6);
                v[n++] = m;
                v[n++] = -m;
            }
        }
        v[n++] = 0;
        v[n] = 1;
        Arrays.sort(v);
        float[] f = new float[v.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) v[i];
        return f;
    }

    /** (v[i] + v[i+1]) / 2 in float32, the decision boundaries. */
    static float[] midpoints(float[] v) {
        float[] m = new float[v.length - 1];
        for (int i = 0; i < m.length; i++) m[i] = (v[i] + v[i + 1]) / 2;
        return m;
    }

    /** The value of an 8-bit code (0..255, ascending values). */
    public static float value(int code) {
        return VALUES[code & 0xFF];
    }

    /** The sorted 256 values (a copy). */
    public static float[] values() {
        return VALUES.clone();
    }

    /** Blockwise codes and the absmax of each block of {@link #BLOCK} values. */
    public record Blocks(byte[] codes, float[] absmax) {
        /** Value i as stored: value(code) * absmax of its block. */
        public float get(int i) {
            return value(codes[i]) * absmax[i / BLOCK];
        }
    }

    /**
     * As bitsandbytes' quantize_blockwise: per block, absmax = max |a|, each a * (1 / absmax) clamped
     * to [-1, 1] gets the code of the nearest value (a tie goes to the lower one, as torch.bucketize).
     */
    public static Blocks quantize(float[] a) {
        int blocks = (a.length + BLOCK - 1) / BLOCK;
        byte[] codes = new byte[a.length];
        float[] absmax = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            int from = b * BLOCK, to = Math.min(a.length, from + BLOCK);
            float max = 0;
            for (int i = from; i < to; i++) max = Math.max(max, Math.abs(a[i]));
            absmax[b] = max;
            float inv = 1f / Math.max(max, 1e-38f);
            for (int i = from; i < to; i++) codes[i] = (byte) bucket(MIDPOINTS, Math.clamp(a[i] * inv, -1f, 1f));
        }
        return new Blocks(codes, absmax);
    }

    /** The number of midpoints below x: the index of the nearest value, ties to the lower (binary search). */
    static int bucket(float[] midpoints, float x) {
        int lo = 0, hi = midpoints.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (midpoints[mid] < x) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
