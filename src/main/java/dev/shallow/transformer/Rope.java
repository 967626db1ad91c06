package dev.shallow.transformer;

import dev.shallow.model.RopeSpec;

/**
 * Rotary position embedding in Hugging Face's rotate-half layout over the first {@code rotaryDim} dimensions of
 * each head (partial rotary: the rest pass unchanged): dimension i pairs with i + rotaryDim/2, rotated by angle
 * pos * invFreq[i]. With longrope scaling there are two sets of frequencies, chosen per forward by whether the
 * sequence reaches past the original context (as transformers' longrope_frequency_update).
 */
public final class Rope {
    private final int half;
    private final double[] invFreq;
    private final double[] longInvFreq;
    private final double attentionFactor;
    private final int originalMax;
    private volatile float[][] table = new float[0][]; // table[pos] = cos of angles, then sin
    private volatile float[][] longTable = new float[0][];

    public Rope(RopeSpec spec) {
        half = spec.rotaryDim() / 2;
        invFreq = new double[half];
        for (int i = 0; i < half; i++) {
            invFreq[i] = 1.0 / Math.pow(spec.theta(), (2.0 * i) / spec.rotaryDim()); // theta^(-2i/d)
        }
        RopeSpec.Scaling s = spec.scaling();
        double[] longF = null;
        if (s != null && s.type().equals("longrope")) {
            longF = new double[half];
            for (int i = 0; i < half; i++) {
                longF[i] = invFreq[i] / s.longFactor()[i]; // 1 / (ext_i theta^(2i/d))
                invFreq[i] /= s.shortFactor()[i];
            }
        } else if (s != null) {
            scale(s);
        }
        longInvFreq = longF;
        attentionFactor = s == null ? 1 : s.attentionFactor();
        originalMax = s == null ? 0 : s.originalMaxPositions();
    }

    /** rope_scaling: "linear" divides every frequency by factor; "llama3" only the long wavelengths, blending in between. */
    private void scale(RopeSpec.Scaling s) {
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

    /** The rotation frequencies f_i (angle pos * f_i for dimension pair i), scaling applied (longrope: its short or long factors); a copy. */
    public double[] inverseFrequencies(boolean longFactors) {
        return (longFactors ? longInvFreq : invFreq).clone();
    }

    /** The factor of cos and sin (longrope's attention factor; else 1). */
    public double attentionFactor() {
        return attentionFactor;
    }

    /** Whether a sequence whose positions end at {@code end} (exclusive) uses longrope's long factors. */
    public boolean isLong(int end) {
        return longInvFreq != null && end > originalMax;
    }

    /** cos and sin of pos * f_i (times longrope's attention factor), computed in double once per position and kept. */
    private float[] angles(int pos, boolean longFactors) {
        float[][] t = longFactors ? longTable : table;
        if (pos < t.length) return t[pos];
        synchronized (this) {
            t = longFactors ? longTable : table;
            if (pos >= t.length) {
                double[] f = longFactors ? longInvFreq : invFreq;
                float[][] grown = java.util.Arrays.copyOf(t, Math.max(pos + 1, 2 * t.length));
                for (int p = t.length; p < grown.length; p++) {
                    grown[p] = new float[2 * half];
                    for (int i = 0; i < half; i++) {
                        grown[p][i] = (float) (Math.cos(p * f[i]) * attentionFactor);
                        grown[p][half + i] = (float) (Math.sin(p * f[i]) * attentionFactor);
                    }
                }
                if (longFactors) longTable = grown;
                else table = grown;
                t = grown;
            }
        }
        return t[pos];
    }

    /**
     * Rotates the first rotaryDim dimensions of every head (head size {@code d}) of v[off .. off + heads*d) at
     * position pos: (a, b) -> (a cos - b sin, b cos + a sin).
     */
    void apply(float[] v, int off, int heads, int d, int pos, boolean longFactors) {
        float[] cs = angles(pos, longFactors);
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
