package dev.shallow.heal;

import dev.shallow.model.RopeSpec;
import dev.shallow.transformer.Rope;

/**
 * RoPE of one {@link RopeSpec} in Hugging Face's rotate-half layout over the first rotaryDim dimensions of each
 * head (partial rotary: the rest pass unchanged), with the inference code's frequencies (rope_scaling included),
 * cos and sin in double. Dimension i pairs with i + rotaryDim/2: (a, b) -> f (a cos - b sin, b cos + a sin),
 * f = 1 except longrope's attention factor. longrope has a second set of frequencies for sequences longer than
 * the original context. The map is f times a rotation, so its backward (transpose) is f times the rotation by
 * the opposite angle.
 */
final class Rotary {
    private final int half;
    private final Rope rope;
    private final double[][] cos = new double[2][], sin = new double[2][]; // [0]: default (longrope: short), [1]: longrope's long

    /** Angles for positions [0, positions). */
    Rotary(RopeSpec spec, int positions) {
        rope = new Rope(spec);
        double[] f = rope.inverseFrequencies(false);
        half = f.length;
        table(0, f, positions, rope.attentionFactor());
        if (rope.isLong(Integer.MAX_VALUE)) table(1, rope.inverseFrequencies(true), positions, rope.attentionFactor());
    }

    private void table(int set, double[] f, int positions, double factor) {
        cos[set] = new double[positions * half];
        sin[set] = new double[positions * half];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                cos[set][p * half + i] = Math.cos(p * f[i]) * factor;
                sin[set][p * half + i] = Math.sin(p * f[i]) * factor;
            }
        }
    }

    /** Whether a sequence of {@code length} tokens uses longrope's long factors (longer than the original context). */
    boolean isLong(int length) {
        return rope.isLong(length);
    }

    /** Rotates every head (size d) of v[off .. off + heads * d) by +angle(pos) (forward) or its transpose, -angle(pos) (backward). */
    void rotate(double[] v, int off, int heads, int d, int pos, boolean longFactors, boolean transpose) {
        int set = longFactors ? 1 : 0;
        for (int i = 0; i < half; i++) {
            double c = cos[set][pos * half + i], s = transpose ? -sin[set][pos * half + i] : sin[set][pos * half + i];
            for (int h = 0; h < heads; h++) {
                int a = off + h * d + i, b = a + half;
                double va = v[a], vb = v[b];
                v[a] = va * c - vb * s; // a' = a cos - b sin; backward: da = da' cos + db' sin
                v[b] = vb * c + va * s; // b' = b cos + a sin; backward: db = db' cos - da' sin
            }
        }
    }
}
