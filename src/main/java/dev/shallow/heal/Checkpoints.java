package dev.shallow.heal;

/**
 * Activation checkpointing: the residual stream entering each layer, the only activations kept
 * from the forward pass to the backward pass (each layer's internals are recomputed from it).
 * FLOAT32 keeps floats and rounds the live stream to them, so a recomputed layer sees exactly the
 * input its forward pass saw.
 */
final class Checkpoints {
    private final float[][] floats;
    private final double[][] doubles;

    Checkpoints(Precision precision, int layers, int size) {
        boolean f = precision.checkpointBytes() == Float.BYTES;
        floats = f ? new float[layers][size] : null;
        doubles = f ? null : new double[layers][size];
    }

    /** Keeps x as layer p's input; x is left equal to what {@link #load} will give back. */
    void save(int p, double[] x) {
        if (floats == null) {
            System.arraycopy(x, 0, doubles[p], 0, doubles[p].length);
            return;
        }
        float[] s = floats[p];
        for (int i = 0; i < s.length; i++) x[i] = s[i] = (float) x[i];
    }

    void load(int p, double[] x) {
        if (floats == null) {
            System.arraycopy(doubles[p], 0, x, 0, doubles[p].length);
            return;
        }
        float[] s = floats[p];
        for (int i = 0; i < s.length; i++) x[i] = s[i];
    }

    long bytes() {
        long n = 0;
        if (floats != null) for (float[] a : floats) n += (long) a.length * Float.BYTES;
        else for (double[] a : doubles) n += (long) a.length * Double.BYTES;
        return n;
    }
}
