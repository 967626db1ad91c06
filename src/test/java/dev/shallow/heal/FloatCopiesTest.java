package dev.shallow.heal;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FloatCopiesTest {
    /**
     * The lane-wise, threaded copies give the scalar casts' bits element for element: doubles of every exponent (those
     * beyond float's range become infinities, the smallest float subnormals or zeros), NaN, signed zeros, ties between two
     * floats; over more elements than one task takes and not a whole number of vectors.
     */
    @Test
    void copiesHaveTheScalarBits() {
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 100_003;
        double[] a = new double[n], d = new double[n], expected = new double[n];
        double[] edges = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, -1e300, 1e-300, 0x1.000001p0, 0x1.0000008p0, 0x1.0000018p0,
                Float.MAX_VALUE * 1.0000001, Float.MIN_VALUE / 2.0000001, Float.MIN_VALUE / 2};
        for (int i = 0; i < n; i++) a[i] = i < edges.length ? edges[i] : Double.longBitsToDouble(rnd.nextLong());
        for (int i = 0; i < n; i++) d[i] = expected[i] = rnd.nextDouble(-1, 1);
        float[] f = FloatCopies.narrow(a, n);
        for (int i = 0; i < n; i++) assertEquals(Float.floatToRawIntBits((float) a[i]), Float.floatToRawIntBits(f[i]), "narrow " + a[i]);
        for (int i = 0; i < n; i++) if (Float.isNaN(f[i]) || Float.isInfinite(f[i])) f[i] = (float) rnd.nextGaussian();
        double[] w = new double[n];
        FloatCopies.widen(f, w);
        for (int i = 0; i < n; i++) assertEquals(Double.doubleToRawLongBits(f[i]), Double.doubleToRawLongBits(w[i]), "widen " + f[i]);
        FloatCopies.addScaled(f, 0.3, d);
        for (int i = 0; i < n; i++) {
            expected[i] += 0.3 * f[i];
            assertEquals(Double.doubleToRawLongBits(expected[i]), Double.doubleToRawLongBits(d[i]), "addScaled " + i);
        }
    }
}
