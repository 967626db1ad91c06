package dev.shallow.heal;

/**
 * The logit term of distillation for one batch: per token row, the teacher's top-k ids and logits; per predicted
 * token the loss alpha T^2 KL(p_t || p_s) + (1 - alpha) CE, where p_s = softmax(z / T) over the vocabulary and p_t is
 * the teacher's softmax at T over its top-k logits, renormalised over them (Hinton et al. 2015's T^2 keeps the
 * gradient's scale independent of T). Tokens outside the top-k get p_t = 0, so the student is only pushed down on them.
 */
final class Distillation implements TokenLoss {
    private final KdOptions options;
    private final int[] ids;
    private final float[] logits;

    /** Row t's teacher top-k: ids[t k .. t k + k) (largest logit first) and their logits at the same places. */
    Distillation(KdOptions options, int[] ids, float[] logits) {
        this.options = options;
        this.ids = ids;
        this.logits = logits;
    }

    @Override
    public double lossAndGradient(double[] z, int off, int vocab, int token, int target, double weight) {
        double t = options.temperature(), alpha = options.alpha();
        int k = options.topK(), from = token * k;
        double teacherLse = logSumExp(from, k, t); // p_t[j] = exp(l_j / T - teacherLse) over the top-k
        double studentLse = CrossEntropy.logSumExp(z, off, vocab, t);
        double kl = 0;
        for (int i = 0; i < k; i++) {
            double logPt = logits[from + i] / t - teacherLse;
            kl += Math.exp(logPt) * (logPt - (z[off + ids[from + i]] / t - studentLse)); // KL = sum p_t (log p_t - log p_s)
        }
        double lse = alpha < 1 ? CrossEntropy.logSumExp(z, off, vocab, 1) : 0, ce = lse - z[off + target];
        // d(T^2 KL)/dz = T (p_s - p_t); d CE/dz = softmax(z) - onehot(target)
        for (int j = 0; j < vocab; j++) {
            double g = alpha * t * Math.exp(z[off + j] / t - studentLse);
            if (alpha < 1) g += (1 - alpha) * Math.exp(z[off + j] - lse);
            z[off + j] = weight * g;
        }
        for (int i = 0; i < k; i++) z[off + ids[from + i]] -= weight * alpha * t * Math.exp(logits[from + i] / t - teacherLse);
        if (alpha < 1) z[off + target] -= weight * (1 - alpha);
        return alpha * t * t * kl + (1 - alpha) * ce;
    }

    /** log sum of exp(logits / T) over k teacher logits from {@code from}. */
    private double logSumExp(int from, int k, double t) {
        double[] row = new double[k];
        for (int i = 0; i < k; i++) row[i] = logits[from + i];
        return CrossEntropy.logSumExp(row, 0, k, t);
    }
}
