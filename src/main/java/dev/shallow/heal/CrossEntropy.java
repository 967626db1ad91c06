package dev.shallow.heal;

/** Cross-entropy of one row of logits against a target id, and its gradient, in double. */
final class CrossEntropy {
    private CrossEntropy() {
    }

    /**
     * Returns -log softmax(z)[target] = logsumexp(z) - z[target] and replaces z[off .. off + vocab)
     * by weight * dloss/dz = weight * (softmax(z) - onehot(target)).
     */
    static double lossAndGradient(double[] z, int off, int vocab, int target, double weight) {
        double lse = logSumExp(z, off, vocab, 1), loss = lse - z[off + target];
        for (int j = 0; j < vocab; j++) z[off + j] = weight * Math.exp(z[off + j] - lse); // dz = softmax(z) - onehot
        z[off + target] -= weight;
        return loss;
    }

    /** log sum_j exp(z[off + j] / temperature), shifted by the maximum so it cannot overflow. */
    static double logSumExp(double[] z, int off, int vocab, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < vocab; j++) max = Math.max(max, z[off + j] / temperature);
        double sum = 0;
        for (int j = 0; j < vocab; j++) sum += Math.exp(z[off + j] / temperature - max);
        return max + Math.log(sum);
    }
}
