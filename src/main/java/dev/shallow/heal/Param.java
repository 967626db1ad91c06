package dev.shallow.heal;

import java.util.Arrays;

/**
 * A trainable matrix (a LoRA A or B) under its PEFT tensor name: the float32 value AdamW updates
 * and the gradient that backward passes add to, in double.
 */
public final class Param implements Weight {
    private final String name;
    private final int rows, cols;
    private final float[] value;
    private final double[] grad;

    public Param(String name, int rows, int cols) {
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        this.value = new float[Math.multiplyExact(rows, cols)];
        this.grad = new double[value.length];
    }

    public String name() {
        return name;
    }

    /** [rows, cols], as the tensor is saved. */
    public long[] shape() {
        return new long[]{rows, cols};
    }

    /** The values, row-major (live: AdamW writes here). */
    public float[] value() {
        return value;
    }

    /** The accumulated gradient of the loss with respect to {@link #value()}, row-major (live). */
    public double[] grad() {
        return grad;
    }

    public void zeroGrad() {
        Arrays.fill(grad, 0);
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public void copyTo(long from, float[] dst, int off, int n) {
        System.arraycopy(value, Math.toIntExact(from), dst, off, n);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape());
    }
}
