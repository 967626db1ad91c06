package dev.shallow.tensor;

import jdk.incubator.vector.FloatVector;

/** RMSNorm as in Llama: y = x / sqrt(mean(x^2) + eps) * w, per token, in float. */
public final class RmsNorm {
    private static final int L = Linear.L;

    private RmsNorm() {
    }

    /**
     * @param x      [tokens, dim] row-major
     * @param weight [dim]
     * @param out    [tokens, dim], may be x itself
     */
    public static void rmsnorm(float[] x, int tokens, int dim, float[] weight, float eps, float[] out) {
        if (x.length < (long) tokens * dim || out.length < (long) tokens * dim || weight.length < dim) {
            throw new IllegalArgumentException("rmsnorm: x " + x.length + ", out " + out.length + ", weight " + weight.length
                    + " floats for " + tokens + " x " + dim);
        }
        Parallel.forEach(tokens, t -> row(x, t * dim, dim, weight, eps, out));
    }

    private static void row(float[] x, int o, int dim, float[] w, float eps, float[] out) {
        int dv = dim - dim % L;
        FloatVector acc = FloatVector.zero(Linear.S);
        for (int i = 0; i < dv; i += L) {
            FloatVector v = FloatVector.fromArray(Linear.S, x, o + i);
            acc = v.fma(v, acc); // lane j sums x[i]^2 over i = j mod L
        }
        float ss = Linear.sumLanes(acc);
        for (int i = dv; i < dim; i++) ss = Math.fma(x[o + i], x[o + i], ss);
        float inv = 1f / (float) Math.sqrt(ss / dim + eps); // 1 / sqrt(mean(x^2) + eps)
        for (int i = 0; i < dv; i += L) {
            FloatVector v = FloatVector.fromArray(Linear.S, x, o + i).mul(inv); // x * inv, then * w
            v.mul(FloatVector.fromArray(Linear.S, w, i)).intoArray(out, o + i);
        }
        for (int i = dv; i < dim; i++) out[o + i] = x[o + i] * inv * w[i];
    }
}
