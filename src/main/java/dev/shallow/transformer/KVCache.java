package dev.shallow.transformer;

/**
 * Keys and values of one sequence for every layer, [position, kvDim] per layer, plus the number of
 * positions filled. Layers are allocated on first use, so a model run with layers skipped pays
 * only for the layers it runs.
 */
public final class KVCache {
    final int capacity;
    final int kvDim;
    final float[][] keys;
    final float[][] values;
    int length;

    KVCache(int layers, int capacity, int kvDim) {
        this.capacity = capacity;
        this.kvDim = kvDim;
        this.keys = new float[layers][];
        this.values = new float[layers][];
    }

    /** Positions filled so far. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    float[] keys(int layer) {
        if (keys[layer] == null) keys[layer] = new float[capacity * kvDim];
        return keys[layer];
    }

    float[] values(int layer) {
        if (values[layer] == null) values[layer] = new float[capacity * kvDim];
        return values[layer];
    }

    /** Forgets positions from {@code length} on (to reuse a shared prefix). */
    public void truncate(int length) {
        if (length < 0 || length > this.length) throw new IllegalArgumentException("cannot truncate " + this.length + " to " + length);
        this.length = length;
    }
}
