package dev.shallow.tensor;

/** Per-thread work buffers of the kernels, grown on demand and reused by every later call. */
final class Scratch {
    private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);
    private float[] pack = new float[0];
    private float[] xpack = new float[0];
    private float[] acc = new float[0];
    private float[] row = new float[0];

    /** The calling thread's buffers. */
    static Scratch local() {
        return LOCAL.get();
    }

    /** A buffer of at least n floats for a packed weight panel (contents undefined). */
    float[] pack(int n) {
        if (pack.length < n) pack = new float[n];
        return pack;
    }

    /** A buffer of at least n floats for a packed block of activations (contents undefined). */
    float[] xpack(int n) {
        if (xpack.length < n) xpack = new float[n];
        return xpack;
    }

    /** A buffer of at least n floats for one decoded weight row (contents undefined). */
    float[] row(int n) {
        if (row.length < n) row = new float[n];
        return row;
    }

    /** A buffer of at least n floats for vector accumulators (contents undefined). */
    float[] acc(int n) {
        if (acc.length < n) acc = new float[n];
        return acc;
    }
}
