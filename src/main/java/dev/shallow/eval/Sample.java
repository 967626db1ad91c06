package dev.shallow.eval;

/** One document's value of a metric, with a weight for ratio aggregations (words, bytes, tokens; 1 for a mean). */
public record Sample(double value, double weight) {
    public static Sample of(double value) {
        return new Sample(value, 1);
    }
}
