package dev.shallow.transformer;

/**
 * Sees the residual stream during a forward pass, without copies: {@code x} holds {@code tokens}
 * rows of {@code hidden} floats (the batch's sequences one after another), valid only during the call.
 * Called with {@code layer} = l for the stream entering layer l (of the original model numbering,
 * for each layer that runs), and with {@code layer} = numLayers for the output of the last layer
 * before the final norm.
 */
@FunctionalInterface
public interface ResidualObserver {
    void accept(int layer, float[] x, int tokens, int hidden);
}
