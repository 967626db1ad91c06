package dev.shallow.heal;

import java.util.List;

/** Global-norm gradient clipping, as torch.nn.utils.clip_grad_norm_ (L2 norm over all gradients together). */
public final class GradientClipping {
    private GradientClipping() {
    }

    /** sqrt of the sum of squares of every gradient element. */
    public static double globalNorm(List<Param> params) {
        double ss = 0;
        for (Param p : params) for (double g : p.grad()) ss += g * g;
        return Math.sqrt(ss);
    }

    /** Scales every gradient by min(1, maxNorm / (norm + 1e-6)); returns the norm before clipping. */
    public static double clip(List<Param> params, double maxNorm) {
        double norm = globalNorm(params), coef = Math.min(1, maxNorm / (norm + 1e-6));
        for (Param p : params) {
            double[] g = p.grad();
            for (int i = 0; i < g.length; i++) g[i] *= coef;
        }
        return norm;
    }
}
