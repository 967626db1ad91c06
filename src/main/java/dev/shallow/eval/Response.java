package dev.shallow.eval;

import java.io.Serializable;

/** The model's answer to a {@link Request}, of the matching kind. */
public sealed interface Response extends Serializable {
    /** Sum of the continuation tokens' log-probabilities (nats), and whether each was the argmax. */
    record Loglikelihood(double logLikelihood, boolean isGreedy) implements Response {
    }

    /** Sum of the log-probabilities (nats) of all {@code tokens} tokens of the text. */
    record Rolling(double logLikelihood, int tokens) implements Response {
    }

    /** The generated text, stop string excluded. */
    record Generated(String text) implements Response {
    }
}
