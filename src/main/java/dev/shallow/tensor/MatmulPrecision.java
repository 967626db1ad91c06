package dev.shallow.tensor;

import jdk.incubator.vector.FloatVector;

/**
 * What a matrix product rounds its activations to before multiplying; products are always
 * accumulated in float32 and the weights are used as stored (BF16 weights are exact in either).
 */
public enum MatmulPrecision {
    /** Activations as computed (float32). */
    F32,
    /** Activations rounded to bfloat16 (nearest even) at each matmul input, as Hugging Face runs a bf16 model. */
    BF16;

    /** x as this precision multiplies it: itself for F32, its nearest bfloat16 for BF16. */
    public float round(float x) {
        return this == F32 ? x : BF16Tensor.toFloat(BF16Tensor.fromFloat(x));
    }

    /**
     * The first n values of x rounded ({@link #round(float)}): x itself for F32, a rounded copy for BF16, in vector lanes
     * with {@link BF16Tensor#fromFloat}'s bits ({@link BF16Tensor#roundedHigh}, the low 16 bits cleared).
     */
    public float[] round(float[] x, int n) {
        if (this == F32) return x;
        float[] r = new float[n];
        int i = 0;
        for (int upper = Linear.S.loopBound(n); i < upper; i += Linear.L) {
            BF16Tensor.roundedHigh(FloatVector.fromArray(Linear.S, x, i)).and(0xFFFF0000).reinterpretAsFloats().intoArray(r, i);
        }
        for (; i < n; i++) r[i] = round(x[i]);
        return r;
    }

    /** The command-line name: f32 or bf16. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
