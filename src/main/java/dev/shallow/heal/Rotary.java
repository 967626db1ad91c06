package dev.shallow.heal;

import dev.shallow.model.ModelConfig;
import dev.shallow.transformer.Rope;

/**
 * RoPE in Hugging Face's rotate-half layout with the inference code's frequencies (rope_scaling
 * included), cos and sin in double. Dimension i of a head pairs with i + d/2:
 * (a, b) -> (a cos - b sin, b cos + a sin). The rotation is orthogonal, so its backward is the
 * rotation by the opposite angle.
 */
final class Rotary {
    private final int half;
    private final double[] cos, sin;

    /** Angles for positions [0, positions). */
    Rotary(ModelConfig c, int positions) {
        double[] f = new Rope(c.ropes().getFirst()).inverseFrequencies();
        half = f.length;
        cos = new double[positions * half];
        sin = new double[positions * half];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                cos[p * half + i] = Math.cos(p * f[i]);
                sin[p * half + i] = Math.sin(p * f[i]);
            }
        }
    }

    /** Rotates every head of v[off .. off + heads * d) by +angle(pos) (forward) or -angle(pos) (backward). */
    void rotate(double[] v, int off, int heads, int pos, boolean inverse) {
        int d = 2 * half;
        for (int i = 0; i < half; i++) {
            double c = cos[pos * half + i], s = inverse ? -sin[pos * half + i] : sin[pos * half + i];
            for (int h = 0; h < heads; h++) {
                int a = off + h * d + i, b = a + half;
                double va = v[a], vb = v[b];
                v[a] = va * c - vb * s; // a' = a cos - b sin; backward: da = da' cos + db' sin
                v[b] = vb * c + va * s; // b' = b cos + a sin; backward: db = db' cos - da' sin
            }
        }
    }
}
