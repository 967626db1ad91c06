package dev.shallow.heal;

import dev.shallow.model.Activation;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.NormWeights;
import dev.shallow.model.RopeSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
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
        norm("RMSNorm", new NormWeights(randomFloats(8, 2), null), false);
    }

    /** Phi-2's LayerNorm: mean subtracted, biased variance, a bias. */
    @Test
    void layerNormWithBias() {
        norm("LayerNorm", new NormWeights(randomFloats(8, 2), randomFloats(8, 1)), true);
    }

    /** dx, dw (and db) of one norm over 3 rows of 8, inputs shifted off zero mean so that centring matters. */
    private void norm(String what, NormWeights w, boolean centred) {
        int n = 3, dim = 8;
        double[] x = randoms(n * dim), c = randoms(n * dim), y = new double[n * dim], mu = new double[n], inv = new double[n];
        for (int i = 0; i < x.length; i++) x[i] += 0.7;
        DoubleSupplier loss = () -> {
            Norm.forward(x, n, dim, w, centred, 1e-5, y, mu, inv);
            return dot(c, y);
        };
        loss.getAsDouble();
        double[] dx = new double[n * dim], dw = new double[dim], db = w.bias() == null ? null : new double[dim];
        Norm.backward(x, n, dim, w, centred, mu, inv, c, dx, dw, db);
        check(what + " dx", x, dx, loss);
        checkFloats(what + " dw", w.scale(), dw, loss);
        if (db != null) checkFloats(what + " db", w.bias(), db, loss);
    }

    @Test
    void rope() {
        rope("RoPE", new RopeSpec(10000.0, 8, null), 8, false);
    }

    /** Phi's partial rotary: the first 6 of 8 dimensions of each head rotate, the last 2 pass unchanged. */
    @Test
    void partialRope() {
        double[] v = rope("partial RoPE", new RopeSpec(10000.0, 6, null), 8, false);
        Rotary r = new Rotary(new RopeSpec(10000.0, 6, null), 8);
        double[] rotated = v.clone();
        r.rotate(rotated, 0, 2, 8, 5, false, false);
        for (int h = 0; h < 2; h++) {
            for (int i = 6; i < 8; i++) assertEquals(v[h * 8 + i], rotated[h * 8 + i], 0, "dimension " + i + " is not rotated");
        }
    }

    /** Phi-3's longrope over the 6 rotary dims of 8, both factor sets, cos and sin scaled by the attention factor (not a rotation). */
    @Test
    void longRope() {
        RopeSpec spec = new RopeSpec(10000.0, 6, new RopeSpec.Scaling("longrope", 1, 0, 0, 4, new double[]{1, 1.5, 2},
                new double[]{2, 3, 5}, 1.19));
        assertTrue(new Rotary(spec, 8).isLong(5) && !new Rotary(spec, 8).isLong(4), "long factors past the original 4 positions");
        rope("longrope short", spec, 8, false);
        rope("longrope long", spec, 8, true);
    }

    /** The transpose (backward) map against finite differences of the forward one, two heads of size d at position 5. */
    private double[] rope(String what, RopeSpec spec, int d, boolean longFactors) {
        Rotary rope = new Rotary(spec, 8);
        double[] v = randoms(2 * d), cw = randoms(2 * d);
        DoubleSupplier loss = () -> {
            double[] r = v.clone();
            rope.rotate(r, 0, 2, d, 5, longFactors, false);
            return dot(cw, r);
        };
        double[] dv = cw.clone();
        rope.rotate(dv, 0, 2, d, 5, longFactors, true);
        check(what, v, dv, loss);
        return v;
    }

    /** Two sequences (5 and 3 tokens), 4 query heads sharing 2 kv heads. */
    @Test
    void attentionWithGqaAndCausalMask() {
        ModelConfig c = Configs.of(16, 32, 4, 2, 4, 10);
        double[][] qkv = attention("attention", c, 0);
        double[] v = qkv[2], out = new double[8 * c.qDim()];
        // causal: the first token of each sequence attends only to itself, so its output is its own v
        CausalAttention.forward(qkv[0], qkv[1], v, out, new int[]{0, 5, 8}, c, 0);
        for (int h = 0; h < c.numHeads(); h++) {
            for (int i = 0; i < c.headDim(); i++) {
                assertEquals(v[5 * c.kvDim() + (h / 2) * c.headDim() + i], out[5 * c.qDim() + h * c.headDim() + i], 1e-15);
            }
        }
    }

    /** Gemma 2's attention: scores x query_pre_attn_scalar^-0.5, soft-capped at 2 (so the cap bends them), a window of 2. */
    @Test
    void attentionWithSoftCapScaleAndWindow() {
        ModelConfig.Builder b = Configs.builder(16, 32, 4, 2, 4, 10);
        b.attentionScale = 1 / Math.sqrt(3);
        b.attnSoftcap = 2;
        ModelConfig c = b.build();
        double[][] qkv = attention("softcap+window", c, 2);
        double[] out = new double[8 * c.qDim()], far = qkv[2].clone();
        int[] starts = {0, 5, 8};
        CausalAttention.forward(qkv[0], qkv[1], qkv[2], out, starts, c, 2);
        double[] before = out.clone();
        for (int i = 0; i < 2 * c.kvDim(); i++) far[i] += 1; // values of tokens 0 and 1: outside the window of tokens 3 and 4
        CausalAttention.forward(qkv[0], qkv[1], far, out, starts, c, 2);
        for (int i = 3 * c.qDim(); i < 5 * c.qDim(); i++) assertEquals(before[i], out[i], 1e-15, "a query sees itself and 1 key before it");
    }

    /**
     * Two query heads of 44 dimensions sharing a kv head, and a sequence of 40 keys: each vector kernel's paths (with 8
     * double lanes, 44 = four vectors at once, one vector, and 4 left; 40 keys = four vectors at once and one; with 4
     * lanes, 44 = two fours, three ones), backward's two blocks of 32 and 8 queries, and a window of 13 reaching across
     * a block's edge.
     */
    @Test
    void attentionOverVectorsTailsAndBlocks() {
        attention("attention d=44", Configs.of(88, 32, 2, 1, 44, 10), 0, new int[]{0, 40, 43});
        attention("window d=44", Configs.of(88, 32, 2, 1, 44, 10), 13, new int[]{0, 40, 43});
    }

    /** dq, dk, dv of attention over two sequences (5 and 3 tokens) against finite differences; returns q, k, v. */
    private double[][] attention(String what, ModelConfig c, int window) {
        return attention(what, c, window, new int[]{0, 5, 8});
    }

    private double[][] attention(String what, ModelConfig c, int window, int[] starts) {
        int n = starts[starts.length - 1];
        double[] q = randoms(n * c.qDim()), k = randoms(n * c.kvDim()), v = randoms(n * c.kvDim());
        for (int i = 0; i < q.length; i++) q[i] *= 3; // scores of several units, where a cap of 2 bends
        double[] cw = randoms(n * c.qDim()), out = new double[n * c.qDim()];
        DoubleSupplier loss = () -> {
            CausalAttention.forward(q, k, v, out, starts, c, window);
            return dot(cw, out);
        };
        double[] dq = new double[q.length], dk = new double[k.length], dv = new double[v.length];
        CausalAttention.backward(q, k, v, cw, dq, dk, dv, starts, c, window);
        check(what + " dq", q, dq, loss);
        check(what + " dk", k, dk, loss);
        check(what + " dv", v, dv, loss);
        return new double[][]{q, k, v};
    }

    @Test
    void swiglu() {
        mlpActivation("SwiGLU", Activation.SILU, true);
    }

    /** Gemma's GeGLU with gelu_pytorch_tanh. */
    @Test
    void geglu() {
        mlpActivation("GeGLU", Activation.GELU_TANH, true);
    }

    /** Phi-2's ungated gelu_new(fc1(x)). */
    @Test
    void ungatedGelu() {
        mlpActivation("GELU-tanh", Activation.GELU_TANH, false);
        assertEquals(0.5 * 1.3 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (1.3 + 0.044715 * Math.pow(1.3, 3)))),
                MlpActivation.value(Activation.GELU_TANH, 1.3), 1e-15, "gelu_tanh(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))");
    }

    private void mlpActivation(String what, Activation act, boolean gated) {
        int n = 12;
        double[] g = randoms(n), u = gated ? randoms(n) : null, c = randoms(n), m = new double[n];
        for (int i = 0; i < n; i++) g[i] *= 4;
        DoubleSupplier loss = () -> {
            MlpActivation.forward(act, g, u, m, n);
            return dot(c, m);
        };
        double[] dg = new double[n], du = gated ? new double[n] : null;
        MlpActivation.backward(act, g, u, c, dg, du, n);
        check(what + " dg", g, dg, loss);
        if (gated) check(what + " du", u, du, loss);
    }

    /** Soft-capping c tanh(x / c) of scores and logits: the slope at the capped value against finite differences. */
    @Test
    void softCap() {
        double[] x = randoms(9), slope = new double[9];
        for (int i = 0; i < x.length; i++) slope[i] = SoftCap.slope(SoftCap.apply(x[i] *= 40, 30), 30);
        check("soft-cap", x, slope, () -> {
            double s = 0;
            for (double v : x) s += SoftCap.apply(v, 30);
            return s;
        });
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
        LoraConfig config = new LoraConfig(3, 6, 0.3, List.of("q_proj"), 11);
        Lora lora = Lora.create(config, "model.layers.", 0, 0, new LinearModule("self_attn.q_proj", List.of(Projection.Q), in, out));
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
        for (int len : new int[] {n * in, 29}) { // the vector lanes and the tail draw element i from the same formula
            double[] mask = lora.drop(filled(len), len, 42);
            long stream = Lora.mix(lora.seed() ^ Lora.mix(42));
            for (int i = 0; i < len; i++) {
                boolean drop = (Lora.mix(stream + 0x9E3779B97F4A7C15L * (i + 1L)) >>> 11) * 0x1.0p-53 < 0.3;
                assertEquals(drop, mask[i] == 0, "element " + i + " of " + len);
            }
        }
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
