package dev.shallow.heal;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter 2019) with PyTorch's torch.optim.AdamW semantics (amsgrad off):
 * per step t = 1, 2, ...: theta *= 1 - lr * weightDecay (decoupled decay); m = b1 m + (1 - b1) g;
 * v = b2 v + (1 - b2) g^2; theta -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * Moments in double; parameters rounded to float32 once per step.
 */
public final class AdamW {
    private final double beta1, beta2, eps, weightDecay;
    private final Map<Param, double[][]> moments = new IdentityHashMap<>();
    private int steps;

    public AdamW(double beta1, double beta2, double eps, double weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, the given weight decay. */
    public static AdamW withDefaults(double weightDecay) {
        return new AdamW(0.9, 0.999, 1e-8, weightDecay);
    }

    /** Updates every param from its gradient with learning rate lr. */
    public void step(List<Param> params, double lr) {
        steps++;
        double bc1 = 1 - Math.pow(beta1, steps), bc2 = Math.sqrt(1 - Math.pow(beta2, steps));
        for (Param p : params) {
            double[][] mv = moments(p);
            double[] m = mv[0], v = mv[1], g = p.grad();
            float[] theta = p.value();
            for (int i = 0; i < theta.length; i++) {
                m[i] = beta1 * m[i] + (1 - beta1) * g[i];
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
                double decayed = theta[i] * (1 - lr * weightDecay); // decoupled weight decay
                theta[i] = (float) (decayed - lr / bc1 * m[i] / (Math.sqrt(v[i]) / bc2 + eps));
            }
        }
    }

    /** Steps taken. */
    public int steps() {
        return steps;
    }

    /** {m, v} of p (live; zero before its first step): what a checkpoint saves and {@link #resumeAt} continues from. */
    public double[][] moments(Param p) {
        return moments.computeIfAbsent(p, k -> new double[2][k.value().length]);
    }

    /** Continues a run checkpointed after {@code steps} steps, whose moments were written into {@link #moments}. */
    public void resumeAt(int steps) {
        if (steps < 0) throw new IllegalArgumentException("steps must be >= 0, got " + steps);
        this.steps = steps;
    }
}
