package dev.shallow.eval;

import dev.shallow.ShallowException;

import java.io.Serializable;

/**
 * Which log-likelihood requests share the forward pass over their common tokens. {@link #OFF}: none, every request is
 * computed alone. On: the pairs with the same context tokens (the choices of a question) share one pass over the
 * context, and every longer prefix that several contexts start with (the few-shot examples every question of a task
 * repeats) is computed once into a KV cache that the requests below it continue, while the caches held at once fit in
 * {@code cacheBytes} (a prefix that does not fit is recomputed by each request; 0 shares only equal contexts).
 */
public record PrefixSharing(boolean enabled, long cacheBytes) implements Serializable {
    public static final PrefixSharing OFF = new PrefixSharing(false, 0);
    /** The default bound: this fraction of the JVM's maximum heap. */
    public static final double DEFAULT_HEAP_FRACTION = 0.25;

    public PrefixSharing {
        if (cacheBytes < 0) throw new ShallowException("the prefix cache bound must be at least 0 bytes, got " + cacheBytes);
    }

    /** Sharing on, with at most {@code cacheBytes} of shared prefixes' KV caches held at once. */
    public static PrefixSharing upTo(long cacheBytes) {
        return new PrefixSharing(true, cacheBytes);
    }

    /** Sharing on, bounded by {@link #DEFAULT_HEAP_FRACTION} of the heap. */
    public static PrefixSharing heapShare() {
        return upTo((long) (Runtime.getRuntime().maxMemory() * DEFAULT_HEAP_FRACTION));
    }
}
