package dev.shallow.sweep;

import dev.shallow.ShallowException;
import dev.shallow.prune.LayerCount;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * The fractions of layers a sweep removes, as exact decimals written canonically ("0.1", not "0.10"), ascending and
 * distinct. Fraction F removes n = round(F x L) layers, half up ({@link LayerCount#round}); 0 is the unpruned model.
 */
public final class Fractions {
    /** More fractions than this is a typo (a step of 0.0001 for 0.1), not a sweep: each is an evaluation per strategy. */
    static final int MAX = 1000;

    private Fractions() {
    }

    /**
     * {@code spec} is a range START:STOP:STEP, STOP included when the steps land on it ("0:0.75:0.05"), or a
     * comma-separated list ("0,0.1,0.2"); every fraction in [0, 1).
     */
    public static List<String> parse(String spec) {
        String what = "--fractions '" + spec + "'";
        String[] range = spec.split(":", -1);
        TreeSet<BigDecimal> values = new TreeSet<>();
        if (range.length == 3) {
            BigDecimal start = number(what, range[0]), stop = number(what, range[1]), step = number(what, range[2]);
            if (step.signum() <= 0) throw new ShallowException(what + ": the step must be positive");
            if (start.compareTo(stop) > 0) throw new ShallowException(what + ": empty range (start " + range[0].strip() + " > stop " + range[1].strip() + ")");
            BigInteger count = stop.subtract(start).divideToIntegralValue(step).toBigInteger().add(BigInteger.ONE);
            if (count.compareTo(BigInteger.valueOf(MAX)) > 0) throw tooMany(what, count);
            for (BigDecimal f = start; f.compareTo(stop) <= 0; f = f.add(step)) values.add(f);
        } else if (range.length == 1) {
            String[] items = spec.split(",", -1);
            if (items.length > MAX) throw tooMany(what, BigInteger.valueOf(items.length));
            for (String item : items) {
                if (!values.add(number(what, item))) throw new ShallowException(what + ": " + item.strip() + " is given twice");
            }
        } else {
            throw new ShallowException(what + ": expected START:STOP:STEP (e.g. 0:0.75:0.05) or a list (e.g. 0,0.1,0.2)");
        }
        List<String> out = new ArrayList<>();
        for (BigDecimal f : values) {
            if (f.signum() < 0 || f.compareTo(BigDecimal.ONE) >= 0) throw new ShallowException(what + ": fraction " + canonical(f) + " is not in [0, 1)");
            out.add(canonical(f));
        }
        return out;
    }

    /** Layers fraction {@code f} removes of {@code numLayers}: 0 for the unpruned model, at most L-1 (else a one-line error). */
    public static int layers(String f, int numLayers) {
        int n = LayerCount.round(new BigDecimal(f), numLayers);
        if (n >= numLayers) {
            throw new ShallowException("--fractions: " + f + " of " + numLayers + " layers rounds to " + n
                    + ", which removes every layer; at most " + (numLayers - 1) + " can be removed");
        }
        return n;
    }

    private static ShallowException tooMany(String what, BigInteger count) {
        return new ShallowException(what + ": " + String.format(Locale.ROOT, "%,d", count) + " fractions; a sweep takes at most " + MAX
                + " (each is evaluated once per strategy)");
    }

    private static BigDecimal number(String what, String text) {
        try {
            return new BigDecimal(text.strip());
        } catch (NumberFormatException e) {
            throw new ShallowException(what + ": '" + text.strip() + "' is not a number");
        }
    }

    private static String canonical(BigDecimal f) {
        return f.signum() == 0 ? "0" : f.stripTrailingZeros().toPlainString();
    }
}
