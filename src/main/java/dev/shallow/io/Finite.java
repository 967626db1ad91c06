package dev.shallow.io;

import dev.shallow.ShallowException;

/**
 * The guard every results writer puts on its numbers: a NaN is never written (as null or otherwise) as if it were a
 * result; the error names the number, so the layer or metric that went wrong is known.
 */
public final class Finite {
    private Finite() {
    }

    /** {@code v}, unless it is NaN or infinite. */
    public static double require(double v, String what) {
        if (!Double.isFinite(v)) throw refused(v, what);
        return v;
    }

    /** {@code v}, unless it is NaN (an infinity, such as an overflowing perplexity, is a value). */
    public static double notNaN(double v, String what) {
        if (Double.isNaN(v)) throw refused(v, what);
        return v;
    }

    private static ShallowException refused(double v, String what) {
        return new ShallowException(what + " is " + v + ": the model computed non-finite numbers (NaN or infinite weights or "
                + "activations?); nothing was written for it");
    }
}
