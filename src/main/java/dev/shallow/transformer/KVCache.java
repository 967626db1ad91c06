package dev.shallow.transformer;

import dev.shallow.model.ModelConfig;

/**
 * Keys and values of one sequence for every layer, plus the number of positions filled. Both are stored
 * transposed, [kvDim, slots] (dimension-major, so attention scores of consecutive positions are one vector FMA
 * per dimension, and so is each output dimension's weighted sum of values). A full-attention layer has a slot
 * per position of the context; a sliding-window layer only {@code window + chunk - 1} slots used as a ring
 * (position p in slot p mod slots), enough for a chunk of {@link #chunk} new queries to see their windows, so its
 * memory is O(window) whatever the context. Layers are allocated on first use, so a model run with layers
 * skipped pays only for the layers it runs.
 */
public final class KVCache {
    final int capacity;
    final int kvDim;
    private final int[] slots;
    private final int[] chunks;
    final float[][] keys;
    final float[][] values;
    int length;

    KVCache(ModelConfig c, int capacity) {
        this.capacity = capacity;
        this.kvDim = c.kvDim();
        int layers = c.numLayers();
        this.keys = new float[layers][];
        this.values = new float[layers][];
        this.slots = new int[layers];
        this.chunks = new int[layers];
        for (int l = 0; l < layers; l++) {
            int window = c.layerType(l).window();
            int chunk = window > 0 ? Math.min(256, window) : capacity;
            slots[l] = window > 0 ? (int) Math.min(capacity, (long) window + chunk - 1) : capacity;
            chunks[l] = slots[l] == capacity ? capacity : chunk;
        }
    }

    /** Positions filled so far. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /** Slots of {@code layer}: the capacity, or a sliding layer's ring. */
    int slots(int layer) {
        return slots[layer];
    }

    /** Bytes of {@code layer}'s keys and values (allocated on first use): 2 x slots x kvDim floats. */
    public long bytes(int layer) {
        return 2L * slots[layer] * kvDim * Float.BYTES;
    }

    /** How many new positions of {@code layer} may be stored before their queries attend (the whole context, or a ring's chunk). */
    int chunk(int layer) {
        return chunks[layer];
    }

    /** Copies positions [0, positions) of {@code layer} from {@code from} (a cache of the same shape), for a continuation of its prefix. */
    public void copyLayer(KVCache from, int layer, int positions) {
        int n = Math.min(positions, slots[layer]); // all positions, or all of a ring
        if (positions > capacity || positions > from.capacity || n > from.slots[layer] || from.slots[layer] != slots[layer] && n < positions) {
            throw new IllegalArgumentException("cannot copy " + positions + " positions between caches of " + from.capacity + " and " + capacity);
        }
        float[] k = keys(layer), v = values(layer), fk = from.keys(layer), fv = from.values(layer);
        // position p is in slot p mod slots of both: all positions fit both caches, or both rings have the same slots
        int s = slots[layer], fs = from.slots[layer], first = (positions - n) % s, run = Math.min(n, s - first);
        for (int i = 0; i < kvDim; i++) { // per dimension: the slots from the first copied position's, then those past the ring's wrap
            System.arraycopy(fk, i * fs + first, k, i * s + first, run);
            System.arraycopy(fk, i * fs, k, i * s, n - run);
            System.arraycopy(fv, i * fs + first, v, i * s + first, run);
            System.arraycopy(fv, i * fs, v, i * s, n - run);
        }
    }

    /**
     * Hands {@code layer}'s keys and values to layer {@code next} when they have the same slots (else frees them), for a cache
     * whose {@code layer} is read no more (a scoring pass run layer by layer): no new arrays to allocate and touch. The
     * positions {@code next} has not stored yet keep {@code layer}'s values, which no query reads (a query attends to
     * positions up to its own, all stored before it attends, or copied).
     */
    public void moveLayer(int layer, int next) {
        if (slots[next] == slots[layer] && keys[next] == null) {
            keys[next] = keys[layer];
            values[next] = values[layer];
        }
        dropLayer(layer);
    }

    /** Frees {@code layer}'s keys and values, for a cache that will not be extended (a scoring pass run layer by layer). */
    public void dropLayer(int layer) {
        keys[layer] = null;
        values[layer] = null;
    }

    float[] keys(int layer) {
        if (keys[layer] == null) keys[layer] = new float[slots[layer] * kvDim];
        return keys[layer];
    }

    float[] values(int layer) {
        if (values[layer] == null) values[layer] = new float[slots[layer] * kvDim];
        return values[layer];
    }

    /** Stores the key and value vectors (kvDim floats each, from k[off..], v[off..]) of position pos. */
    void put(int layer, int pos, float[] k, float[] v, int off) {
        float[] keys = keys(layer), values = values(layer);
        int s = slots[layer], slot = pos % s;
        for (int i = 0; i < kvDim; i++) {
            keys[i * s + slot] = k[off + i];
            values[i * s + slot] = v[off + i];
        }
    }
}
