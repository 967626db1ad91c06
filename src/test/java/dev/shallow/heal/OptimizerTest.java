package dev.shallow.heal;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** AdamW, the learning-rate schedule and gradient clipping against hand-computed and PyTorch values. */
class OptimizerTest {

    static Param param(double... values) {
        Param p = new Param("p", 1, values.length);
        for (int i = 0; i < values.length; i++) p.value()[i] = (float) values[i];
        return p;
    }

    static void setGrad(Param p, double... g) {
        System.arraycopy(g, 0, p.grad(), 0, g.length);
    }

    /**
     * By hand: after one step m-hat = g and v-hat = g^2, so theta = theta (1 - lr wd) - lr g / (|g| + eps):
     * 0.5 (1 - 0.001) - 0.01 = 0.4895 for g = 0.3.
     */
    @Test
    void firstAdamWStepByHand() {
        Param p = param(0.5, -1.0);
        setGrad(p, 0.3, -0.2);
        AdamW.withDefaults(0.1).step(List.of(p), 0.01);
        assertEquals(0.5 * (1 - 0.01 * 0.1) - 0.01 * 0.3 / (0.3 + 1e-8), p.value()[0], 1e-7);
        assertEquals(-1.0 * (1 - 0.01 * 0.1) + 0.01 * 0.2 / (0.2 + 1e-8), p.value()[1], 1e-7);
    }

    /**
     * Three steps with changing gradients and learning rates against torch.optim.AdamW (PyTorch
     * 1.13, float64; betas 0.9/0.999, eps 1e-8, weight_decay 0.1). Parameters are float32 here, so
     * within 2e-7 (a few float roundings of values up to 2).
     */
    @Test
    void adamWMatchesPyTorch() {
        Param p = param(0.5, -1.0, 2.0, 0.0);
        AdamW adam = AdamW.withDefaults(0.1);
        double[][] grads = {{0.3, -0.2, 1.5, 1e-3}, {-0.1, -0.4, 0.5, 0.0}, {0.2, 0.1, -2.0, -1e-3}};
        double[] lrs = {0.01, 0.005, 0.02};
        double[][] torch = {
                {0.4895000003333333, -0.9890000004999999, 1.9880000000666667, -0.009999900000999989},
                {0.487254157562904, -0.9836795905232268, 1.9826506803519748, -0.013345143930223596},
                {0.4742179199773899, -0.9699400971325759, 1.9803647665897506, -0.011601120386358825}};
        for (int s = 0; s < 3; s++) {
            setGrad(p, grads[s]);
            adam.step(List.of(p), lrs[s]);
            for (int i = 0; i < 4; i++) assertEquals(torch[s][i], p.value()[i], 2e-7, "step " + (s + 1) + " element " + i);
        }
        assertEquals(3, adam.steps());
    }

    /** peak 1e-3, 10 warm-up steps, 110 in all, floor 0.1. */
    @Test
    void warmupThenCosineToFloor() {
        Schedule s = new Schedule(1e-3, 10, 110, 0.1);
        assertEquals(0, s.rate(0), 0, "HF's first update has rate 0");
        assertEquals(5e-4, s.rate(5), 1e-18);
        assertEquals(1e-3, s.rate(10), 1e-18, "peak at the end of warm-up");
        assertEquals(1e-3 * (0.1 + 0.9 * 0.5 * (1 + Math.sqrt(0.5))), s.rate(35), 1e-15, "a quarter of the way: cos(pi/4)");
        assertEquals(5.5e-4, s.rate(60), 1e-15, "half way: (peak + floor) / 2");
        assertEquals(1e-4, s.rate(110), 1e-18, "the floor at the end");
        assertEquals(1e-4, s.rate(500), 1e-18, "and after it");
        assertEquals(1e-3, new Schedule(1e-3, 0, 10, 0).rate(0), 0, "no warm-up starts at the peak");
    }

    /** Gradients (3, 4) and (0, 12): global norm 13; clipped to 1 they scale by 1 / (13 + 1e-6), as clip_grad_norm_. */
    @Test
    void globalNormClipping() {
        Param a = param(0, 0), b = param(0, 0);
        setGrad(a, 3, 4);
        setGrad(b, 0, 12);
        List<Param> ps = List.of(a, b);
        assertEquals(13, GradientClipping.clip(ps, 20), 1e-15);
        assertEquals(12, b.grad()[1], 0, "below the limit nothing changes");
        assertEquals(13, GradientClipping.clip(ps, 1), 1e-15);
        assertEquals(3 / (13 + 1e-6), a.grad()[0], 1e-15);
        assertEquals(12 / (13 + 1e-6), b.grad()[1], 1e-15);
        assertEquals(1, GradientClipping.globalNorm(ps), 1e-6);
    }
}
