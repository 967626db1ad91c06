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

    /** Copies positions [0, positions) of {@code layer} from {@code from} (a cache of the same shape), for a continuation of its prefix. */
    public void copyLayer(KVCache from, int layer, int positions) {
        if (positions > capacity || positions > from.capacity) throw new IllegalArgumentException("cannot copy " + positions + " positions between caches of " + from.capacity + " and " + capacity);
        float[] k = keys(layer), v = values(layer), fk = from.keys(layer), fv = from.values(layer);
        for (int i = 0; i < kvDim; i++) {
            System.arraycopy(fk, i * from.capacity, k, i * capacity, positions);
            System.arraycopy(fv, i * from.capacity, v, i * capacity, positions);
        }
    }

    /** Frees {@code layer}'s keys and values, for a cache that will not be extended (a scoring pass run layer by layer). */
    public void dropLayer(int layer) {
        keys[layer] = null;
        values[layer] = null;
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
