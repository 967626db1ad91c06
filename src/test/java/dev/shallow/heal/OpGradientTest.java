package dev.shallow.heal;

import dev.shallow.model.ModelConfig;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each op's backward against central finite differences of its own forward, all in double. The
 * scalar checked is L = sum_i c_i y_i over the op's output y with fixed random c (so dL/dy = c).
 * With inputs of order 1 and h = 1e-5 the difference is off by O(h^2 |f'''|) ~ 1e-10 plus
 * O(1e-16 |L| / h) ~ 1e-10, so 1e-8 absolute (gradients are of order 1; measured up to 1e-10) separates a correct
 * backward from a wrong one by many orders of magnitude.
 */
class OpGradientTest {
    static final double H = 1e-5, TOL = 1e-8;
    final SplittableRandom random = new SplittableRandom(7);

    double[] randoms(int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = 2 * random.nextDouble() - 1;
        return a;
    }

    float[] randomFloats(int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((2 * random.nextDouble() - 1) * scale);
        return a;
    }

    static double dot(double[] c, double[] y) {
        double s = 0;
        for (int i = 0; i < c.length; i++) s += c[i] * y[i];
        return s;
    }

    /** Every element of v: analytic[i] against the central difference of f; returns the largest error. */
    static double check(String what, double[] v, double[] analytic, DoubleSupplier f) {
        double worst = 0;
        for (int i = 0; i < v.length; i++) {
            double fd = FiniteDifference.central(v, i, H, f);
            assertEquals(fd, analytic[i], TOL, what + "[" + i + "]");
            worst = Math.max(worst, Math.abs(fd - analytic[i]));
        }
        System.out.printf("op gradient %-22s max |analytic - fd| = %.1e%n", what, worst);
        return worst;
    }

    /** As {@link #check} for float parameters (three-point rule on the steps the floats take). */
    static void checkFloats(String what, float[] v, double[] analytic, DoubleSupplier f) {
        double f0 = f.getAsDouble(), worst = 0;
        for (int i = 0; i < v.length; i++) {
            double fd = FiniteDifference.ofFloat(v, i, H, f0, f);
            assertEquals(fd, analytic[i], TOL, what + "[" + i + "]");
            worst = Math.max(worst, Math.abs(fd - analytic[i]));
        }
        System.out.printf("op gradient %-22s max |analytic - fd| = %.1e%n", what, worst);
    }

    @Test
    void rmsNorm() {
        int n = 3, dim = 8;
        double[] x = randoms(n * dim), c = randoms(n * dim), y = new double[n * dim], inv = new double[n];
        float[] w = randomFloats(dim, 2);
        DoubleSupplier loss = () -> {
            Norm.forward(x, n, dim, w, 1e-5, y, inv);
            return dot(c, y);
        };
        loss.getAsDouble();
        double[] dx = new double[n * dim], dw = new double[dim];
        Norm.backward(x, n, dim, w, inv, c, dx, dw);
        check("RMSNorm dx", x, dx, loss);
        checkFloats("RMSNorm dw", w, dw, loss);
    }

    @Test
    void rope() {
        ModelConfig c = Configs.of(16, 32, 2, 2, 8, 10);
        Rotary rope = new Rotary(c, 8);
        double[] v = randoms(16), cw = randoms(16);
        DoubleSupplier loss = () -> {
            double[] r = v.clone();
            rope.rotate(r, 0, 2, 5, false);
            return dot(cw, r);
        };
        double[] dv = cw.clone();
        rope.rotate(dv, 0, 2, 5, true);
        check("RoPE", v, dv, loss);
        double[] back = v.clone();
        rope.rotate(back, 0, 2, 5, false);
        rope.rotate(back, 0, 2, 5, true);
        for (int i = 0; i < v.length; i++) assertEquals(v[i], back[i], 1e-15, "the inverse rotation undoes the rotation");
    }

    /** Two sequences (5 and 3 tokens), 4 query heads sharing 2 kv heads. */
    @Test
    void attentionWithGqaAndCausalMask() {
        ModelConfig c = Configs.of(16, 32, 4, 2, 4, 10);
        int[] starts = {0, 5, 8};
        int n = 8;
        double[] q = randoms(n * c.qDim()), k = randoms(n * c.kvDim()), v = randoms(n * c.kvDim());
        double[] cw = randoms(n * c.qDim()), out = new double[n * c.qDim()];
        DoubleSupplier loss = () -> {
            CausalAttention.forward(q, k, v, out, starts, c);
            return dot(cw, out);
        };
        double[] dq = new double[q.length], dk = new double[k.length], dv = new double[v.length];
        CausalAttention.backward(q, k, v, cw, dq, dk, dv, starts, c);
        check("attention dq", q, dq, loss);
        check("attention dk", k, dk, loss);
        check("attention dv", v, dv, loss);
        // causal: the first token of each sequence attends only to itself, so its output is its own v
        CausalAttention.forward(q, k, v, out, starts, c);
        for (int h = 0; h < c.numHeads(); h++) {
            for (int i = 0; i < c.headDim(); i++) {
                assertEquals(v[5 * c.kvDim() + (h / 2) * c.headDim() + i], out[5 * c.qDim() + h * c.headDim() + i], 1e-15);
            }
        }
    }

    @Test
    void swiglu() {
        int n = 12;
        double[] g = randoms(n), u = randoms(n), c = randoms(n), m = new double[n];
        for (int i = 0; i < n; i++) g[i] *= 4;
        DoubleSupplier loss = () -> {
            SwiGlu.forward(g, u, m, n);
            return dot(c, m);
        };
        double[] dg = new double[n], du = new double[n];
        SwiGlu.backward(g, u, c, dg, du, n);
        check("SwiGLU dg", g, dg, loss);
        check("SwiGLU du", u, du, loss);
    }

    @Test
    void crossEntropy() {
        int vocab = 9, target = 4;
        double[] z = randoms(vocab);
        for (int i = 0; i < vocab; i++) z[i] *= 5;
        DoubleSupplier loss = () -> 0.25 * CrossEntropy.lossAndGradient(z.clone(), 0, vocab, target, 0.25);
        double[] dz = z.clone();
        double value = CrossEntropy.lossAndGradient(dz, 0, vocab, target, 0.25);
        double lse = 0;
        for (double zi : z) lse += Math.exp(zi);
        assertEquals(Math.log(lse) - z[target], value, 1e-14, "loss = logsumexp(z) - z[target]");
        check("cross-entropy", z, dz, loss);
    }

    /**
     * y = x W^T + b + s B A drop(x) with dropout 0.3 (the same mask in the forward and backward of
     * one key), r = 3, B non-zero: dx, dA, dB, and the base's dW and db.
     */
    @Test
    void linearWithLora() {
        int n = 4, in = 6, out = 5;
        LoraConfig config = new LoraConfig(3, 6, 0.3, EnumSet.of(Projection.Q), 11);
        Lora lora = Lora.create(config, 0, Projection.Q, in, out);
        float[] bv = lora.b().value();
        for (int i = 0; i < bv.length; i++) bv[i] = (float) (2 * random.nextDouble() - 1);
        Param w = new Param("w", out, in);
        System.arraycopy(randomFloats(out * in, 1), 0, w.value(), 0, out * in);
        float[] bias = randomFloats(out, 1);
        LoraLinear lin = new LoraLinear(w, bias, lora, new double[out * in], new double[out]);
        Pass pass = new Pass(Precision.FLOAT64, n, 42, true);
        double[] x = randoms(n * in), c = randoms(n * out), y = new double[n * out], u = new double[n * config.rank()];
        DoubleSupplier loss = () -> {
            lin.forward(pass, x, y, u);
            return dot(c, y);
        };
        loss.getAsDouble();
        double[] dx = new double[n * in];
        lin.backward(pass, x, c, u, dx);
        double[] kept = lora.drop(filled(n * in), n * in, 42);
        long dropped = java.util.Arrays.stream(kept).filter(m -> m == 0).count();
        assertTrue(dropped > 0 && dropped < n * in, "the mask drops some inputs, not all: " + dropped);
        for (double m : kept) assertTrue(m == 0 || Math.abs(m - 1 / 0.7) < 1e-12, "kept inputs are scaled by 1 / (1 - p)");
        check("linear+LoRA dx", x, dx, loss);
        checkFloats("linear+LoRA dA", lora.a().value(), lora.a().grad(), loss);
        checkFloats("linear+LoRA dB", lora.b().value(), lora.b().grad(), loss);
        checkFloats("linear dW", w.value(), lin.gradW(), loss);
        checkFloats("linear db", bias, lin.gradBias(), loss);
    }

    static double[] filled(int n) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, 1);
        return a;
    }
}
