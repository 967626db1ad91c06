package dev.shallow.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp over vectors from IEEE add, multiply and fma only, so it gives the same bits interpreted and
 * JIT-compiled (the Vector API's own EXP does not). Relative error below 2e-7 on [-87, 88]. Also the
 * activations built on it, and a double dot product in vector lanes (analysis, training's attention).
 */
public final class VectorMath {
    private static final VectorSpecies<Float> S = Linear.S;
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final float LOG2E = 1.44269504f, LN2_HI = 0.693145752f, LN2_LO = 1.42860677e-6f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: (v + ROUND) - ROUND rounds v to an integer

    private VectorMath() {
    }

    /** e^x = 2^k * e^r with k = round(x log2 e), r = x - k ln 2 in [-ln2/2, ln2/2], e^r by its degree-7 Taylor polynomial. */
    public static FloatVector exp(FloatVector x) {
        x = x.max(-87f).min(88f);
        FloatVector k = x.fma(LOG2E, ROUND).sub(ROUND);
        FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), x).add(k.mul(-LN2_LO));
        FloatVector p = r.fma(1f / 5040, 1f / 720);
        p = p.fma(r, FloatVector.broadcast(S, 1f / 120));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(S, 0.5f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        IntVector bits = ((IntVector) k.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    /** Scalar twin of {@link #exp(FloatVector)} for loop tails: the same operations, so the same bits. */
    public static float exp(float x) {
        x = Math.min(Math.max(x, -87f), 88f);
        float k = Math.fma(x, LOG2E, ROUND) - ROUND;
        float r = Math.fma(k, -LN2_HI, x) + k * -LN2_LO;
        float p = Math.fma(r, 1f / 5040, 1f / 720);
        p = Math.fma(p, r, 1f / 120);
        p = Math.fma(p, r, 1f / 24);
        p = Math.fma(p, r, 1f / 6);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        return p * Float.intBitsToFloat(((int) k + 127) << 23);
    }

    /** a[off + i] = exp(a[off + i] - shift) for i in [0, n); returns their sum (lane chains, then a fixed tree, then the tail). */
    public static float expShifted(float[] a, int off, int n, float shift) {
        FloatVector sum = FloatVector.zero(S);
        int nv = n - n % S.length();
        for (int i = 0; i < nv; i += S.length()) {
            FloatVector e = exp(FloatVector.fromArray(S, a, off + i).sub(shift));
            e.intoArray(a, off + i);
            sum = sum.add(e);
        }
        float s = Linear.sumLanes(sum);
        for (int i = nv; i < n; i++) s += a[off + i] = exp(a[off + i] - shift);
        return s;
    }

    /** g[i] = silu(g[i]) * u[i] = g / (1 + e^-g) * u, for i in [off, off + n). */
    public static void swiglu(float[] g, float[] u, int off, int n) {
        int nv = n - n % S.length();
        for (int i = off; i < off + nv; i += S.length()) {
            FloatVector gv = FloatVector.fromArray(S, g, i);
            gv.div(exp(gv.neg()).add(1f)).mul(FloatVector.fromArray(S, u, i)).intoArray(g, i);
        }
        for (int i = off + nv; i < off + n; i++) g[i] = g[i] / (exp(-g[i]) + 1f) * u[i];
    }

    private static final float GELU_C = 0.7978845608f, GELU_K = 0.044715f; // sqrt(2/pi), the cubic's coefficient

    /**
     * g[i] = gelu_tanh(g[i]) * u[i] for i in [off, off + n), or gelu_tanh(g[i]) when u is null;
     * gelu_tanh(x) = 0.5 x (1 + tanh(z)) = x / (1 + e^(-2z)), z = sqrt(2/pi) (x + 0.044715 x^3).
     */
    public static void geglu(float[] g, float[] u, int off, int n) {
        int nv = n - n % S.length();
        for (int i = off; i < off + nv; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, g, i);
            FloatVector z2 = x.mul(x).fma(GELU_K, 1f).mul(x).mul(-2f * GELU_C); // -2z
            FloatVector y = x.div(exp(z2).add(1f));
            (u == null ? y : y.mul(FloatVector.fromArray(S, u, i))).intoArray(g, i);
        }
        for (int i = off + nv; i < off + n; i++) {
            float x = g[i], y = x / (exp(Math.fma(x * x, GELU_K, 1f) * x * (-2f * GELU_C)) + 1f);
            g[i] = u == null ? y : y * u[i];
        }
    }

    /** g[i] = silu(g[i]) = g / (1 + e^-g) for i in [off, off + n) (an ungated MLP). */
    public static void silu(float[] g, int off, int n) {
        int nv = n - n % S.length();
        for (int i = off; i < off + nv; i += S.length()) {
            FloatVector gv = FloatVector.fromArray(S, g, i);
            gv.div(exp(gv.neg()).add(1f)).intoArray(g, i);
        }
        for (int i = off + nv; i < off + n; i++) g[i] = g[i] / (exp(-g[i]) + 1f);
    }

    /** c tanh(v / c) (Gemma's soft-capping), with StrictMath so every run gives the same bits. */
    public static float softcap(float v, float c) {
        return (float) (c * StrictMath.tanh(v / c));
    }

    /** a·b over n doubles, in vector lanes (two accumulators), then the tail; the same bits in any run. */
    public static double dot(double[] a, int ao, double[] b, int bo, int n) {
        DoubleVector s0 = DoubleVector.zero(DS), s1 = DoubleVector.zero(DS);
        int lanes = DS.length(), i = 0;
        for (; i + 2 * lanes <= n; i += 2 * lanes) {
            s0 = DoubleVector.fromArray(DS, a, ao + i).fma(DoubleVector.fromArray(DS, b, bo + i), s0);
            s1 = DoubleVector.fromArray(DS, a, ao + i + lanes).fma(DoubleVector.fromArray(DS, b, bo + i + lanes), s1);
        }
        if (i + lanes <= n) {
            s0 = DoubleVector.fromArray(DS, a, ao + i).fma(DoubleVector.fromArray(DS, b, bo + i), s0);
            i += lanes;
        }
        // lanes added in index order: reduceLanes' order differs between the interpreter and compiled code
        DoubleVector sum = s0.add(s1);
        double s = 0;
        for (int l = 0; l < lanes; l++) s += sum.lane(l);
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }
}
