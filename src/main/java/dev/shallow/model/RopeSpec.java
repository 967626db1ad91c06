package dev.shallow.model;

/**
 * Rotary position embedding of one kind of layer: base {@code theta}, the first {@code rotaryDim} dimensions
 * of each head rotated (partial rotary: Phi), and an optional {@link Scaling}. Layers with the same spec share
 * one table of angles.
 */
public record RopeSpec(double theta, int rotaryDim, Scaling scaling) {

    /**
     * rope_scaling: {@code linear} (every frequency / factor), {@code llama3} (long wavelengths / factor, blended
     * between low_freq_factor and high_freq_factor), {@code longrope} (Phi-3: frequency j / ext_j with ext = long
     * factors when the sequence is longer than originalMaxPositions, else short; cos and sin x attentionFactor).
     */
    public record Scaling(String type, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions,
                          double[] shortFactor, double[] longFactor, double attentionFactor) {

        public static Scaling linear(double factor) {
            return new Scaling("linear", factor, 0, 0, 0, null, null, 1);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Scaling s && type.equals(s.type) && factor == s.factor && lowFreqFactor == s.lowFreqFactor
                    && highFreqFactor == s.highFreqFactor && originalMaxPositions == s.originalMaxPositions
                    && java.util.Arrays.equals(shortFactor, s.shortFactor) && java.util.Arrays.equals(longFactor, s.longFactor)
                    && attentionFactor == s.attentionFactor;
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(type, factor, originalMaxPositions, java.util.Arrays.hashCode(shortFactor));
        }

        @Override
        public String toString() {
            return type + (type.equals("longrope") ? " (original " + originalMaxPositions + ", attention factor "
                    + String.format("%.4f", attentionFactor) + ")" : " x" + factor);
        }
    }
}
