package dev.shallow.eval;

import java.io.Serializable;
import java.util.List;

/** One request to a language model, as lm-evaluation-harness defines its three request types. */
public sealed interface Request extends Serializable {
    /**
     * log P(continuation | context) and whether every continuation token is the greedy argmax. Tokenised the
     * harness's way: a trailing space of the context moves to the continuation; context and context+continuation
     * are encoded without special tokens and the continuation is the tail of the joint encoding after
     * the context's own token count; an empty context is replaced by the prefix token (BOS, else EOS).
     */
    record Loglikelihood(String context, String continuation) implements Request {
    }

    /** log P(text), the text cut into disjoint windows of the model's maximum length, the first conditioned on the prefix token. */
    record Rolling(String text) implements Request {
    }

    /** Greedy continuation of {@code context}, cut before the first of {@code until}, at most {@code maxTokens} tokens. */
    record Generate(String context, List<String> until, int maxTokens) implements Request {
        public Generate {
            if (maxTokens < 1) throw new IllegalArgumentException("a generation request needs maxTokens >= 1, got " + maxTokens);
            until = List.copyOf(until);
        }
    }
}
