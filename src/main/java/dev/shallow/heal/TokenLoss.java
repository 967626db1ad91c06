package dev.shallow.heal;

/** What training minimises at the head for one predicted token, given its logits: the loss and its gradient. */
@FunctionalInterface
public interface TokenLoss {
    /** Next-token cross-entropy. */
    TokenLoss NEXT_TOKEN = (z, off, vocab, token, target, weight) -> CrossEntropy.lossAndGradient(z, off, vocab, target, weight);

    /**
     * The loss of the logits z[off .. off + vocab) of row {@code token} of the flattened batch, whose next token is
     * {@code target}; replaces them by weight x dloss/dz.
     */
    double lossAndGradient(double[] z, int off, int vocab, int token, int target, double weight);
}
