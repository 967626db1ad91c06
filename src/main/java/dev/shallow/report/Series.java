package dev.shallow.report;

/** A named line or set of bars: y[i] at x[i] (for bars, x[i] is the category index). */
public record Series(String name, double[] x, double[] y) {
    public Series {
        if (x.length != y.length) throw new IllegalArgumentException(name + ": " + x.length + " x values, " + y.length + " y values");
    }
}
