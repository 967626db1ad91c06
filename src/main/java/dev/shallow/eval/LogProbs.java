package dev.shallow.eval;

/** Log-probabilities from logits, in double precision. */
public final class LogProbs {
    private LogProbs() {
    }

    /** log softmax(logits[off .. off + vocab))[target] = l_target - max - ln sum_j exp(l_j - max). */
    public static double logProb(float[] logits, int off, int vocab, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < vocab; j++) max = Math.max(max, logits[off + j]);
        double sum = 0;
        for (int j = 0; j < vocab; j++) sum += Math.exp(logits[off + j] - max);
        return logits[off + target] - max - Math.log(sum);
    }

    /** Mean next-token negative log-likelihood in nats: mean over t < T-1 of -log p(ids[t+1] | ids[..t]), from all-position logits. */
    public static double meanNll(float[] logits, int[] ids, int vocab) {
        double total = 0;
        for (int t = 0; t + 1 < ids.length; t++) total -= logProb(logits, t * vocab, vocab, ids[t + 1]);
        return total / (ids.length - 1);
    }
}
