package dev.shallow.heal;

/** Gemma's soft-capping y = c tanh(x / c) of attention scores and final logits, and its slope dy/dx = 1 - (y / c)^2. */
final class SoftCap {
    private SoftCap() {
    }

    static double apply(double x, double c) {
        return c * Math.tanh(x / c);
    }

    /** dy/dx at the capped value y. */
    static double slope(double y, double c) {
        return 1 - (y / c) * (y / c);
    }
}
