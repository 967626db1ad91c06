package dev.shallow.heal;

import dev.shallow.tensor.Parallel;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 products' copies between training's double arrays and the float arrays {@link dev.shallow.tensor.Matmul}
 * multiplies: in vector lanes (a double vector and the float vector of as many lanes), chunks spread over the threads.
 * Each element converts as the scalar cast does (double to float rounds to nearest, float to double is exact), so the
 * bits do not depend on the lanes or the threads.
 */
final class FloatCopies {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(Math.max(64, D.vectorBitSize() / 2)));
    private static final boolean LANES_MATCH = F.length() == D.length();
    /** Elements per parallel task. */
    private static final int CHUNK = 1 << 15;

    private FloatCopies() {
    }

    /** (float) a[i] for i &lt; n. */
    static float[] narrow(double[] a, int n) {
        float[] f = new float[n];
        chunks(n, (from, to) -> {
            int i = from;
            if (LANES_MATCH) {
                for (; i + D.length() <= to; i += D.length()) ((FloatVector) DoubleVector.fromArray(D, a, i).convertShape(VectorOperators.D2F, F, 0)).intoArray(f, i);
            }
            for (; i < to; i++) f[i] = (float) a[i];
        });
        return f;
    }

    /** d[i] = f[i] over f. */
    static void widen(float[] f, double[] d) {
        chunks(f.length, (from, to) -> {
            int i = from;
            if (LANES_MATCH) {
                for (; i + D.length() <= to; i += D.length()) ((DoubleVector) FloatVector.fromArray(F, f, i).convertShape(VectorOperators.F2D, D, 0)).intoArray(d, i);
            }
            for (; i < to; i++) d[i] = f[i];
        });
    }

    /** d[i] += scale * f[i] over f (a multiply, then an add: two roundings, as the scalar expression). */
    static void addScaled(float[] f, double scale, double[] d) {
        chunks(f.length, (from, to) -> {
            int i = from;
            if (LANES_MATCH) {
                for (; i + D.length() <= to; i += D.length()) {
                    DoubleVector w = (DoubleVector) FloatVector.fromArray(F, f, i).convertShape(VectorOperators.F2D, D, 0);
                    DoubleVector.fromArray(D, d, i).add(w.mul(scale)).intoArray(d, i);
                }
            }
            for (; i < to; i++) d[i] += scale * f[i];
        });
    }

    private interface Range {
        void run(int from, int to);
    }

    private static void chunks(int n, Range body) {
        Parallel.forEach((n + CHUNK - 1) / CHUNK, c -> body.run(c * CHUNK, Math.min(n, (c + 1) * CHUNK)));
    }
}
