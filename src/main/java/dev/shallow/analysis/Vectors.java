package dev.shallow.analysis;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/** Similarities of two rows of {@code hidden} floats, in double precision. */
final class Vectors {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    private Vectors() {
    }

    /** a·b over n doubles, in vector lanes (two accumulators), then the tail; the same bits in any run. */
    static double dot(double[] a, int ao, double[] b, int bo, int n) {
        DoubleVector s0 = DoubleVector.zero(D), s1 = DoubleVector.zero(D);
        int lanes = D.length(), i = 0;
        for (; i + 2 * lanes <= n; i += 2 * lanes) {
            s0 = DoubleVector.fromArray(D, a, ao + i).fma(DoubleVector.fromArray(D, b, bo + i), s0);
            s1 = DoubleVector.fromArray(D, a, ao + i + lanes).fma(DoubleVector.fromArray(D, b, bo + i + lanes), s1);
        }
        if (i + lanes <= n) {
            s0 = DoubleVector.fromArray(D, a, ao + i).fma(DoubleVector.fromArray(D, b, bo + i), s0);
            i += lanes;
        }
        // lanes added in index order: reduceLanes' order differs between the interpreter and compiled code
        double s = 0;
        for (double lane : s0.add(s1).toArray()) s += lane;
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /** cos(a, b) = a·b / (||a|| ||b||). */
    static double cos(float[] a, int ao, float[] b, int bo, int hidden) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < hidden; i++) {
            double x = a[ao + i], y = b[bo + i];
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
        return ab / Math.sqrt(aa * bb);
    }

    /** d(a, b) = arccos(clamp(cos(a, b), -1, 1)) / pi (Gromov et al.). */
    static double angularDistance(float[] a, int ao, float[] b, int bo, int hidden) {
        return angle(cos(a, ao, b, bo, hidden));
    }

    /** d = arccos(clamp(cos, -1, 1)) / pi (Gromov et al.), from the cosine. */
    static double angle(double cos) {
        return Math.acos(Math.clamp(cos, -1.0, 1.0)) / Math.PI;
    }

    /** ||next - prev|| / ||next||: the size of a layer's update relative to its output. */
    static double relativeMagnitude(float[] prev, float[] next, int o, int hidden) {
        double dd = 0, nn = 0;
        for (int i = 0; i < hidden; i++) {
            double y = next[o + i], d = y - prev[o + i];
            dd += d * d;
            nn += y * y;
        }
        return Math.sqrt(dd / nn);
    }
}
