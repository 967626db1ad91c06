package dev.shallow.analysis;

/** Similarities of two rows of {@code hidden} floats, in double precision. */
final class Vectors {
    private Vectors() {
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
