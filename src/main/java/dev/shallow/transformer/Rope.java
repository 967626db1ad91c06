package dev.shallow.transformer;

import dev.shallow.model.ModelConfig;

/**
 * Rotary position embedding in Hugging Face's rotate-half layout: dimension i of a head is paired
 * with i + d/2, rotated by angle pos * invFreq[i].
 */
public final class Rope {
    private final int half;
    private final double[] invFreq;
    private volatile float[][] table = new float[0][]; // table[pos] = cos of angles, then sin

    public Rope(ModelConfig c) {
        half = c.headDim() / 2;
        invFreq = new double[half];
        for (int i = 0; i < half; i++) {
            invFreq[i] = 1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / c.headDim()); // theta^(-2i/d)
        }
        ModelConfig.RopeScaling s = c.ropeScaling();
        if (s != null) scale(s);
    }

    /** rope_scaling: "linear" divides every frequency by factor; "llama3" only the long wavelengths, blending in between. */
    private void scale(ModelConfig.RopeScaling s) {
        for (int i = 0; i < half; i++) {
            if (s.type().equals("linear")) {
                invFreq[i] /= s.factor();
                continue;
            }
            double wavelen = 2 * Math.PI / invFreq[i];
            double lowWavelen = s.originalMaxPositions() / s.lowFreqFactor();
            double highWavelen = s.originalMaxPositions() / s.highFreqFactor();
            if (wavelen > lowWavelen) {
                invFreq[i] /= s.factor();
            } else if (wavelen >= highWavelen) {
                // smooth = (orig_ctx / wavelen - low) / (high - low); f = (1 - smooth) f / factor + smooth f
                double smooth = (s.originalMaxPositions() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                invFreq[i] = (1 - smooth) * invFreq[i] / s.factor() + smooth * invFreq[i];
            }
        }
    }

    /** The rotation frequencies f_i (angle pos * f_i for dimension pair i), scaling applied; a copy. */
    public double[] inverseFrequencies() {
        return invFreq.clone();
    }

    /** cos and sin of pos * invFreq[i], computed in double once per position and kept. */
    private float[] angles(int pos) {
        float[][] t = table;
        if (pos >= t.length) {
            synchronized (this) {
                t = table;
                if (pos >= t.length) {
                    t = java.util.Arrays.copyOf(t, Math.max(pos + 1, 2 * t.length));
                    for (int p = table.length; p < t.length; p++) {
                        t[p] = new float[2 * half];
                        for (int i = 0; i < half; i++) {
                            t[p][i] = (float) Math.cos(p * invFreq[i]);
                            t[p][half + i] = (float) Math.sin(p * invFreq[i]);
                        }
                    }
                    table = t;
                }
            }
        }
        return t[pos];
    }

    /** Rotates every head of v[off .. off + heads*d) at position pos: (a, b) -> (a cos - b sin, b cos + a sin). */
    void apply(float[] v, int off, int heads, int pos) {
        int d = 2 * half;
        float[] cs = angles(pos);
        for (int i = 0; i < half; i++) {
            float cos = cs[i], sin = cs[half + i];
            for (int h = 0; h < heads; h++) {
                int a = off + h * d + i, b = a + half;
                float va = v[a], vb = v[b];
                v[a] = va * cos - vb * sin;
                v[b] = vb * cos + va * sin;
            }
        }
    }
}
