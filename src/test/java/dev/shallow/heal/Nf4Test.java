package dev.shallow.heal;

import dev.shallow.Shared;
import dev.shallow.model.Model;
import dev.shallow.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Nf4Test {

    /** The standard normal CDF from the Taylor series of erf (converges fast for |x| < 3). */
    static double phi(double x) {
        double z = x / Math.sqrt(2), term = z, sum = z;
        for (int n = 1; n < 60; n++) {
            term *= -z * z / n; // (-1)^n z^(2n+1) / n!
            sum += term / (2 * n + 1);
        }
        return 0.5 * (1 + 2 / Math.sqrt(Math.PI) * sum);
    }

    /** Phi^-1 by bisection. */
    static double quantile(double p) {
        double lo = -6, hi = 6;
        for (int i = 0; i < 200; i++) {
            double mid = (lo + hi) / 2;
            if (phi(mid) < p) lo = mid;
            else hi = mid;
        }
        return (lo + hi) / 2;
    }

    /**
     * QLoRA's construction (an asymmetric type so that 0 is exact): quantiles of N(0, 1) at evenly
     * spaced probabilities from delta down to 1/2, 8 positive levels (9 points, the one at 1/2
     * dropped) and 7 negative, plus 0, normalised to [-1, 1] by Phi^-1(delta); delta = 0.9677083,
     * bitsandbytes' create_normal_map offset (= (1 - 1/30 + 1 - 1/32) / 2 to 7 digits). The table
     * was computed from float32 probabilities (torch.linspace), whose rounding moves a quantile by
     * up to ~2e-7 after normalisation: tolerance 5e-7.
     */
    @Test
    void levelsAreNormalQuantiles() {
        double delta = 0.9677083, top = quantile(delta);
        double[] want = new double[16];
        for (int k = 0; k < 7; k++) want[k] = -quantile(delta - (delta - 0.5) * k / 7) / top;
        want[7] = 0;
        for (int k = 0; k < 8; k++) want[15 - k] = quantile(delta - (delta - 0.5) * k / 8) / top;
        float[] levels = Nf4.levels();
        double worst = 0;
        for (int i = 0; i < 16; i++) {
            assertEquals(want[i], levels[i], 5e-7, "level " + i);
            worst = Math.max(worst, Math.abs(want[i] - levels[i]));
        }
        System.out.printf("NF4 levels: max |table - derived| = %.1e%n", worst);
    }

    /** 256 values: 0, 1, and per decade 10^(i-6) the 2^i midpoints, both signs; spot values from bitsandbytes' float32 table within 1 ulp. */
    @Test
    void dynamicMapIsBitsandbytes() {
        float[] v = DynamicMap.values();
        assertEquals(256, v.length);
        for (int i = 1; i < 256; i++) assertTrue(v[i - 1] < v[i], "strictly increasing at " + i);
        double[][] bnb = {{0, -0.992968738079071}, {1, -0.9789062142372131}, {100, -0.0074687497690320015},
                {126, -5.500000384017767e-07}, {127, 0}, {128, 5.500000384017767e-07}, {129, 3.250000190746505e-06},
                {200, 0.23359376192092896}, {254, 0.992968738079071}, {255, 1}};
        for (double[] e : bnb) assertEquals(e[1], v[(int) e[0]], Math.ulp((float) e[1]), "value " + (int) e[0]);
    }

    /**
     * Gaussian data with outliers, 64 x 300 + 41 values (more than one 256-block of scales, a short
     * last block, an odd count): each code is the nearest level to w / absmax (absmax recomputed
     * here), two per byte with element 2i in the high nibble, and each value reads back as
     * level(code) x its block's double-quantized absmax.
     */
    @Test
    void codesAreNearestLevelsPackedAsBitsandbytes() {
        int n = 64 * 300 + 41;
        float[] w = gaussian(n, 3);
        Nf4Tensor q = Nf4.quantize(w, 1, n);
        float[] levels = Nf4.levels(), back = new float[n];
        q.copyTo(0, back, 0, n);
        byte[] packed = q.packedCodes();
        assertEquals((n + 1) / 2, packed.length);
        for (int b = 0; b * 64 < n; b++) {
            int from = b * 64, to = Math.min(n, from + 64);
            float absmax = 0;
            for (int i = from; i < to; i++) absmax = Math.max(absmax, Math.abs(w[i]));
            for (int i = from; i < to; i++) {
                float s = w[i] * (1f / absmax);
                int code = q.code(i);
                for (int j = 0; j < 16; j++) {
                    assertTrue(Math.abs(s - levels[code]) <= Math.abs(s - levels[j]), "element " + i + ": level " + j + " is nearer than " + code);
                }
                assertEquals(levels[code] * q.absmax(b), back[i], "element " + i + " dequantizes to level x absmax");
            }
        }
        for (int i = 0; i < n; i++) {
            int hi = (packed[i / 2] >> 4) & 0xF, lo = packed[i / 2] & 0xF;
            assertEquals(q.code(i), i % 2 == 0 ? hi : lo, "element " + i + " in the " + (i % 2 == 0 ? "high" : "low") + " nibble");
        }
        assertEquals(0, packed[n / 2] & 0xF, "the pad nibble after an odd count is code 0");
    }

    /**
     * Double quantization: absmax - mean is stored as dynamic-map codes times a float32 absmax c per
     * 256 blocks. The map's largest gap is 0.9/64 (the top decade's 64 midpoints, and -1 clamped to
     * its -0.99297), so each absmax comes back within 0.9/128 c plus float rounding.
     */
    @Test
    void doubleQuantizedAbsmaxWithinHalfTheMapsGap() {
        int blocks = 700;
        float[] w = gaussian(blocks * 64, 5);
        Nf4Tensor q = Nf4.quantize(w, blocks, 64);
        float[] absmax = new float[blocks];
        double mean = 0;
        for (int b = 0; b < blocks; b++) {
            for (int i = 0; i < 64; i++) absmax[b] = Math.max(absmax[b], Math.abs(w[b * 64 + i]));
            mean += absmax[b] / (double) blocks;
        }
        double worst = 0;
        for (int g = 0; g * 256 < blocks; g++) {
            double c = 0;
            for (int b = g * 256; b < Math.min(blocks, g * 256 + 256); b++) c = Math.max(c, Math.abs(absmax[b] - mean));
            for (int b = g * 256; b < Math.min(blocks, g * 256 + 256); b++) {
                double err = Math.abs(q.absmax(b) - absmax[b]);
                assertTrue(err <= 0.9 / 128 * c + 1e-6 * absmax[b], "block " + b + ": " + err + " > " + 0.9 / 128 * c);
                worst = Math.max(worst, err / absmax[b]);
            }
        }
        System.out.printf("NF4 double quantization: max relative absmax error %.1e%n", worst);
    }

    /**
     * RMS relative error sqrt(sum (w - q)^2 / sum w^2) of real weights: stories-16L (trained, F32)
     * and tiny-qwen2-random (BF16, Gaussian init). For N(0, 1) blocks of 64, NF4's expected error
     * is about 0.09; measured 0.091 to 0.093 on both, at 4.13 bits per weight (codes, 8-bit
     * scales, a float per 256 scales). Bound: 0.1.
     */
    @Test
    void quantizationErrorOfRealWeights() {
        try (Model trained = Model.load(Shared.model("stories-16L")); Model random = Model.load(Shared.model("tiny-qwen2-random"))) {
            double t = error("stories-16L layers.7.self_attn.q_proj", trained.layer(7).wq());
            t = Math.max(t, error("stories-16L layers.7.mlp.down_proj", trained.layer(7).wDown()));
            t = Math.max(t, error("stories-16L layers.0.mlp.gate_proj", trained.layer(0).wGate()));
            assertTrue(t < 0.1, "trained: " + t);
            double r = error("tiny-qwen2 layers.5.mlp.up_proj", random.layer(5).wUp());
            assertTrue(r < 0.1, "Gaussian: " + r);
        }
    }

    static double error(String what, Tensor w) {
        Nf4Tensor q = Nf4.quantize(w);
        int n = Math.toIntExact(w.size());
        float[] a = w.toFloatArray(), b = new float[n];
        q.copyTo(0, b, 0, n);
        double num = 0, den = 0;
        for (int i = 0; i < n; i++) {
            num += (a[i] - b[i]) * (double) (a[i] - b[i]);
            den += a[i] * (double) a[i];
        }
        double e = Math.sqrt(num / den);
        System.out.printf("NF4 RMS relative error %-40s %s: %.4f (%.3f bits per weight)%n", what, java.util.Arrays.toString(w.shape()), e,
                8.0 * q.bytes() / n);
        return e;
    }

    static float[] gaussian(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            double u1 = random.nextDouble(), u2 = random.nextDouble();
            w[i] = (float) (Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2) * 0.02);
            if (random.nextInt(500) == 0) w[i] *= 8; // an outlier now and then
        }
        return w;
    }
}
