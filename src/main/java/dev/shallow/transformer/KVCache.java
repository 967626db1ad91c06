package dev.shallow.transformer;

/**
 * Keys and values of one sequence for every layer, plus the number of positions filled. Both are
 * stored transposed, [kvDim, capacity] (dimension-major, so attention scores of consecutive positions
 * are one vector FMA per dimension, and so is each output dimension's weighted sum of values). Layers are allocated on first use, so a model run with layers skipped pays
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

    /** A copy of the filled positions in a cache of {@code capacity} positions, so several continuations can extend one shared prefix. */
    public KVCache copy(int capacity) {
        if (capacity < length) throw new IllegalArgumentException("capacity " + capacity + " < " + length + " positions filled");
        KVCache c = new KVCache(keys.length, capacity, kvDim);
        c.length = length;
        for (int l = 0; l < keys.length; l++) {
            if (keys[l] == null) continue;
            float[] k = c.keys(l), v = c.values(l);
            for (int i = 0; i < kvDim; i++) {
                System.arraycopy(keys[l], i * this.capacity, k, i * capacity, length);
                System.arraycopy(values[l], i * this.capacity, v, i * capacity, length);
            }
        }
        return c;
    }

    float[] keys(int layer) {
        if (keys[layer] == null) keys[layer] = new float[capacity * kvDim];
        return keys[layer];
    }

    float[] values(int layer) {
        if (values[layer] == null) values[layer] = new float[capacity * kvDim];
        return values[layer];
    }

    /** Stores the key and value vectors (kvDim floats each, from k[off..], v[off..]) of position pos. */
    void put(int layer, int pos, float[] k, float[] v, int off) {
        float[] keys = keys(layer), values = values(layer);
        for (int i = 0; i < kvDim; i++) {
            keys[i * capacity + pos] = k[off + i];
            values[i * capacity + pos] = v[off + i];
        }
    }
}
