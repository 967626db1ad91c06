package dev.shallow.analysis;

import java.io.Serializable;

/**
 * The exact sum of doubles, rounded once to the nearest double (ties to even) when read: a Kulisch accumulator. Every
 * finite double is an integer multiple of 2^-1074, so the sum is kept as one integer count of 2^-1074 in 32-bit digits,
 * each held in a signed long with room for the carries of many additions. The result therefore does not depend on the
 * order of the additions, nor on how the terms are split between accumulators that are then merged: partial sums of
 * any partition of a calibration set merge to the same bits as one pass over it. Non-finite terms follow IEEE addition
 * (NaN, or +inf and -inf together, give NaN; an infinity of one sign gives it).
 */
public final class ExactSum implements Serializable {
    private static final int DIGIT_BITS = 32;
    private static final long DIGIT_MASK = (1L << DIGIT_BITS) - 1;
    /** Bits 2^-1074 (the least subnormal) up to 2^1024 (past the largest double), and 64 more for the carries of up to 2^64 terms. */
    private static final int DIGITS = (1074 + 1024 + 64) / DIGIT_BITS + 1;
    /** A term adds less than 2^32 to each of three digits, so 2^30 additions keep every digit under 2^62 between carries. */
    private static final int ADDS_BETWEEN_CARRIES = 1 << 30;
    private static final int SIGNIFICAND_BITS = 53;

    /** digits[i] counts units of 2^(32 i - 1074); after {@link #carry} all but the top one are in [0, 2^32) and the top one holds the sign. */
    private final long[] digits = new long[DIGITS];
    private int uncarried;
    private boolean nan, positiveInfinity, negativeInfinity;

    /** Adds {@code x} exactly. */
    public void add(double x) {
        long bits = Double.doubleToRawLongBits(x);
        int exponent = (int) (bits >>> 52) & 0x7FF;
        long significand = bits & ((1L << 52) - 1);
        if (exponent == 0x7FF) {
            if (significand != 0) nan = true;
            else if (x > 0) positiveInfinity = true;
            else negativeInfinity = true;
            return;
        }
        if (exponent == 0 && significand == 0) return;
        if (exponent != 0) significand |= 1L << 52;
        // a normal x = significand * 2^(exponent - 1075), a subnormal one significand * 2^-1074: in units of 2^-1074, shifted left by
        int shift = Math.max(exponent - 1, 0);
        int digit = shift / DIGIT_BITS, offset = shift % DIGIT_BITS;
        long low = significand << offset, high = offset == 0 ? 0 : significand >>> (64 - offset);
        long sign = x < 0 ? -1 : 1;
        digits[digit] += sign * (low & DIGIT_MASK);
        digits[digit + 1] += sign * (low >>> DIGIT_BITS);
        digits[digit + 2] += sign * high;
        if (++uncarried == ADDS_BETWEEN_CARRIES) carry();
    }

    /** Adds every term {@code other} has added (exactly). */
    public void add(ExactSum other) {
        carry();
        for (int i = 0; i < DIGITS; i++) digits[i] += other.digits[i];
        carry();
        nan |= other.nan;
        positiveInfinity |= other.positiveInfinity;
        negativeInfinity |= other.negativeInfinity;
    }

    /** Each digit's carry moved into the next: all but the top digit in [0, 2^32). */
    private void carry() {
        carry(digits);
        uncarried = 0;
    }

    private static void carry(long[] d) {
        for (int i = 0; i + 1 < d.length; i++) {
            long c = d[i] >> DIGIT_BITS;
            d[i] -= c << DIGIT_BITS;
            d[i + 1] += c;
        }
    }

    /** The sum, correctly rounded to a double (round half to even). */
    public double value() {
        if (nan || positiveInfinity && negativeInfinity) return Double.NaN;
        if (positiveInfinity) return Double.POSITIVE_INFINITY;
        if (negativeInfinity) return Double.NEGATIVE_INFINITY;
        carry();
        boolean negative = digits[DIGITS - 1] < 0;
        long[] m = digits.clone();
        if (negative) {
            for (int i = 0; i < DIGITS; i++) m[i] = -m[i];
            carry(m);
        }
        int top = DIGITS - 1;
        while (top >= 0 && m[top] == 0) top--;
        if (top < 0) return 0.0;
        int highest = top * DIGIT_BITS + 63 - Long.numberOfLeadingZeros(m[top]);
        int shift = Math.max(highest - (SIGNIFICAND_BITS - 1), 0);
        long significand = bitsFrom(m, shift) & ((1L << SIGNIFICAND_BITS) - 1);
        // round to nearest, ties to even: up when the first dropped bit is set and any later one is, or the kept last bit is odd
        if (shift > 0 && (bitsFrom(m, shift - 1) & 1) != 0 && ((significand & 1) != 0 || anyBitBelow(m, shift - 1))) significand++;
        double magnitude = Math.scalb((double) significand, shift - 1074); // exact, or infinity past the largest double
        return negative ? -magnitude : magnitude;
    }

    /** The 64 bits of {@code d} from bit {@code from} up (bit b is bit b % 32 of digit b / 32). */
    private static long bitsFrom(long[] d, int from) {
        long v = 0;
        for (int i = from / DIGIT_BITS; i < d.length && i * DIGIT_BITS - from < 64; i++) {
            int at = i * DIGIT_BITS - from;
            v |= at < 0 ? d[i] >>> -at : d[i] << at;
        }
        return v;
    }

    private static boolean anyBitBelow(long[] d, int bit) {
        int digit = bit / DIGIT_BITS;
        for (int i = 0; i < digit; i++) if (d[i] != 0) return true;
        return (d[digit] & ((1L << (bit % DIGIT_BITS)) - 1)) != 0;
    }
}
