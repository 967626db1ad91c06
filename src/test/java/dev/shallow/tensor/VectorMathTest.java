package dev.shallow.tensor;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VectorMathTest {
    /** Relative error against the double-precision exp below 2e-7 (about 2 float ulps) over the clamped range. */
    @Test
    void expIsAccurate() {
        SplittableRandom rnd = new SplittableRandom(1);
        double worst = 0;
        for (int i = 0; i < 200_000; i++) {
            float x = (float) (rnd.nextDouble() * 175 - 87);
            worst = Math.max(worst, Math.abs(VectorMath.exp(x) / Math.exp(x) - 1));
        }
        assertTrue(worst < 2e-7, "max relative error " + worst);
        assertEquals(1f, VectorMath.exp(0f));
        assertEquals(0f, VectorMath.exp(-1000f), 1e-37f);
    }

    /** The vector and scalar forms are the same operations, so they agree bit for bit (loop tails depend on it). */
    @Test
    void vectorAndScalarFormsAgreeBitForBit() {
        int n = FloatVector.SPECIES_PREFERRED.length();
        SplittableRandom rnd = new SplittableRandom(2);
        float[] x = new float[n], out = new float[n];
        for (int r = 0; r < 20_000; r++) {
            for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 200 - 100);
            VectorMath.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0)).intoArray(out, 0);
            for (int i = 0; i < n; i++) assertEquals(Float.floatToRawIntBits(VectorMath.exp(x[i])), Float.floatToRawIntBits(out[i]), "x = " + x[i]);
        }
    }

    @Test
    void swigluMatchesItsDefinition() {
        float[] g = new float[37], u = new float[37];
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) (rnd.nextDouble() * 40 - 20);
            u[i] = (float) (rnd.nextDouble() * 4 - 2);
        }
        float[] want = new float[g.length];
        for (int i = 0; i < g.length; i++) want[i] = (float) (g[i] / (1 + Math.exp(-g[i])) * u[i]);
        VectorMath.swiglu(g, u, 0, g.length);
        for (int i = 0; i < g.length; i++) assertEquals(want[i], g[i], 1e-6 * Math.max(1, Math.abs(want[i])));
    }

    /** gelu_tanh(x) = 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))) in double, gated and not; silu alone; c tanh(v/c). */
    @Test
    void geluSiluAndSoftcapMatchTheirDefinitions() {
        float[] g = new float[41], u = new float[41];
        SplittableRandom rnd = new SplittableRandom(4);
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) (rnd.nextDouble() * 24 - 12);
            u[i] = (float) (rnd.nextDouble() * 4 - 2);
        }
        float[] gated = g.clone(), plain = g.clone(), silu = g.clone();
        VectorMath.geglu(gated, u, 0, g.length);
        VectorMath.geglu(plain, null, 0, g.length);
        VectorMath.silu(silu, 0, g.length);
        for (int i = 0; i < g.length; i++) {
            double x = g[i], gelu = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            assertEquals(gelu, plain[i], 1e-6 * Math.max(1, Math.abs(gelu)), "gelu " + x);
            assertEquals(gelu * u[i], gated[i], 1e-6 * Math.max(1, Math.abs(gelu * u[i])), "geglu " + x);
            assertEquals(x / (1 + Math.exp(-x)), silu[i], 1e-6 * Math.max(1, Math.abs(x)), "silu " + x);
        }
        assertEquals(30 * Math.tanh(45.0 / 30), VectorMath.softcap(45f, 30f), 1e-5);
        assertEquals(50 * Math.tanh(-0.1f / 50.0), VectorMath.softcap(-0.1f, 50f), 1e-8);
    }

    @Test
    void expShiftedReturnsTheSumOfWhatItStores() {
        float[] a = new float[29];
        for (int i = 0; i < a.length; i++) a[i] = i * 0.25f;
        float sum = VectorMath.expShifted(a, 0, a.length, 7f);
        double check = 0;
        for (int i = 0; i < a.length; i++) {
            assertEquals(Math.exp(i * 0.25 - 7), a[i], 2e-7 * Math.exp(i * 0.25 - 7));
            check += a[i];
        }
        assertEquals(check, sum, 1e-6 * check);
    }
}
