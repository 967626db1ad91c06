package dev.shallow.prune;

import dev.shallow.ShallowException;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** How many layers to remove: 1 <= n <= L-1, given directly or as a fraction of L. */
public final class LayerCount {
    private LayerCount() {
    }

    /** {@code n} after checking that it removes at least one layer and keeps at least one. */
    public static int of(int n, int numLayers) {
        if (n <= 0) throw new ShallowException("--n " + n + ": must remove at least one layer");
        if (n >= numLayers) {
            throw new ShallowException("--n " + n + ": the model has " + numLayers + " layers; at least one must stay (n <= " + (numLayers - 1) + ")");
        }
        return n;
    }

    /**
     * n = round(F x L), rounding half up in exact decimal arithmetic on F as written (0.25 x 10 = 2.5 gives 3;
     * 0.15 x 10 = 1.5 gives 2), for 0 < F < 1; the result must still satisfy {@link #of}.
     */
    public static int ofFraction(String fraction, int numLayers) {
        BigDecimal f;
        try {
            f = new BigDecimal(fraction.strip());
        } catch (NumberFormatException e) {
            throw new ShallowException("--fraction '" + fraction + "': not a number");
        }
        if (f.signum() <= 0 || f.compareTo(BigDecimal.ONE) >= 0) {
            throw new ShallowException("--fraction " + fraction + ": must be between 0 and 1 (exclusive)");
        }
        int n = round(f, numLayers);
        if (n == 0 || n == numLayers) {
            throw new ShallowException("--fraction " + fraction + " of " + numLayers + " layers rounds to " + n
                    + " layers; between 1 and " + (numLayers - 1) + " can be removed");
        }
        return n;
    }

    /** round(F x L), half up in exact decimal arithmetic on F as written (no range check). */
    public static int round(BigDecimal fraction, int numLayers) {
        return fraction.multiply(BigDecimal.valueOf(numLayers)).setScale(0, RoundingMode.HALF_UP).intValueExact();
    }
}
