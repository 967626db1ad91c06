package dev.shallow.heal;

/**
 * Activation memory of the last training pass: the residual checkpoints (one per layer, n x hidden
 * values in the precision's storage type) and one layer's internals (reused by every layer).
 * Not counted: the final norm and head's n x hidden buffers and one chunk of logits, and the
 * temporary copies a product makes.
 */
public record ActivationMemory(long checkpointBytes, long layerBytes) {
    public long total() {
        return checkpointBytes + layerBytes;
    }
}
