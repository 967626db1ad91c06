package dev.shallow.analysis;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link ExactSum} against the exact sum computed with {@link BigDecimal} (every double is a finite decimal, so its
 * addition is exact) and rounded by {@link BigDecimal#doubleValue} (the nearest double, ties to even): on terms spread
 * over the whole double range, subnormals, cancellations and ties; and split into parts merged in shuffled order.
 */
class ExactSumTest {
    private static double exact(double... terms) {
        BigDecimal sum = BigDecimal.ZERO;
        for (double t : terms) sum = sum.add(new BigDecimal(t));
        return sum.doubleValue();
    }

    private static double summed(double... terms) {
        ExactSum s = new ExactSum();
        for (double t : terms) s.add(t);
        return s.value();
    }

    /** A double of random sign with a random exponent in [minExponent, maxExponent] (base 2) and random significand bits. */
    private static double random(Random r, int minExponent, int maxExponent) {
        double m = 1 + r.nextDouble();
        return (r.nextBoolean() ? -1 : 1) * Math.scalb(m, minExponent + r.nextInt(maxExponent - minExponent + 1));
    }

    @Test
    void cancellationsAndTiesAreExact() {
        assertEquals(1.0, summed(1e16, 1.0, -1e16)); // a double sum loses the 1
        assertEquals(1e308, summed(1e308, 1e308, -1e308)); // a double sum overflows
        assertEquals(0x1p53, summed(0x1p53, 1.0)); // a tie: to the even 2^53
        assertEquals(0x1p53 + 2, summed(0x1p53, 1.0, 1.0)); // no longer a tie
        assertEquals(0x1p53 + 4, summed(0x1p53 + 2, 1.0)); // a tie between 2^53 + 2 and 2^53 + 4: to the even significand, 2^53 + 4
        assertEquals(Double.MIN_VALUE, summed(Double.MIN_VALUE, 1.0, -1.0));
        assertEquals(-3 * Double.MIN_VALUE, summed(-Double.MIN_VALUE, -2 * Double.MIN_VALUE));
        assertEquals(0.0, summed());
        assertEquals(0.0, summed(0.5, -0.5));
        assertEquals(Double.POSITIVE_INFINITY, summed(Double.MAX_VALUE, Double.MAX_VALUE));
        assertEquals(Double.NEGATIVE_INFINITY, summed(-Double.MAX_VALUE, -Double.MAX_VALUE));
        assertEquals(Double.MAX_VALUE, summed(Double.MAX_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE));
    }

    @Test
    void nonFiniteTermsFollowIeeeAddition() {
        assertEquals(Double.NaN, summed(1, Double.NaN, 2));
        assertEquals(Double.NaN, summed(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY));
        assertEquals(Double.POSITIVE_INFINITY, summed(Double.POSITIVE_INFINITY, -1e300, Double.POSITIVE_INFINITY));
        assertEquals(Double.NEGATIVE_INFINITY, summed(3, Double.NEGATIVE_INFINITY));
    }

    @Test
    void randomTermsGiveTheCorrectlyRoundedSum() {
        Random r = new Random(7);
        int[][] ranges = {{-1074, 1023}, {-1074, -1000}, {-30, 30}, {-2, 2}, {900, 1020}};
        for (int trial = 0; trial < 400; trial++) {
            int[] range = ranges[trial % ranges.length];
            double[] terms = new double[1 + r.nextInt(200)];
            for (int i = 0; i < terms.length; i++) terms[i] = random(r, range[0], range[1]);
            if (trial % 3 == 0) terms[terms.length - 1] = -summed(java.util.Arrays.copyOf(terms, terms.length - 1)); // cancel to a tiny rest
            assertEquals(exact(terms), summed(terms), "trial " + trial);
        }
    }

    /** Any partition of the terms, summed part by part and merged in any order (through serialization), gives the same bits. */
    @Test
    void partsMergedInAnyOrderGiveTheSameBits() throws Exception {
        Random r = new Random(11);
        for (int trial = 0; trial < 50; trial++) {
            double[] terms = new double[500];
            for (int i = 0; i < terms.length; i++) terms[i] = random(r, -60, 60);
            double whole = summed(terms);
            List<ExactSum> parts = new ArrayList<>();
            for (int from = 0; from < terms.length; ) {
                int to = Math.min(terms.length, from + 1 + r.nextInt(100));
                ExactSum part = new ExactSum();
                for (int i = from; i < to; i++) part.add(terms[i]);
                parts.add(copy(part));
                from = to;
            }
            Collections.shuffle(parts, r);
            ExactSum merged = new ExactSum();
            for (ExactSum p : parts) merged.add(p);
            assertEquals(whole, merged.value(), "trial " + trial);
            assertEquals(exact(terms), whole, "trial " + trial);
        }
    }

    private static ExactSum copy(ExactSum s) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(s);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (ExactSum) in.readObject();
        }
    }
}
