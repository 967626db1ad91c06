package dev.shallow.heal;

/**
 * Activation memory of the last training pass: the residual checkpoints (one per layer, n x hidden
 * values in the precision's storage type), one layer's internals (reused by every recomputed layer, with
 * the backward pass's gradients), and the forward internals of the {@code keptLayers} layers kept for
 * backward instead of recomputed ({@code keptBytes}). Not counted: the final norm and head's n x hidden
 * buffers and one chunk of logits, and the temporary copies a product makes.
 */
public record ActivationMemory(long checkpointBytes, long layerBytes, int keptLayers, long keptBytes) {
    public long total() {
        return checkpointBytes + layerBytes + keptBytes;
    }
}
