package dev.shallow.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

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
     * with {@link BF16Tensor#fromFloat}'s bits: (b + 0x7FFF + bit 16 of b) with the low 16 bits cleared (nearest even;
     * overflow to infinity), a NaN kept quiet as (b | 0x400000) with the low 16 bits cleared.
     */
    public float[] round(float[] x, int n) {
        if (this == F32) return x;
        float[] r = new float[n];
        int i = 0;
        for (int upper = Linear.S.loopBound(n); i < upper; i += Linear.L) {
            FloatVector v = FloatVector.fromArray(Linear.S, x, i);
            IntVector b = v.reinterpretAsInts();
            IntVector nearest = b.add(b.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF);
            nearest.blend(b.or(0x400000), v.test(VectorOperators.IS_NAN).cast(Linear.SI)).and(0xFFFF0000).reinterpretAsFloats().intoArray(r, i);
        }
        for (; i < n; i++) r[i] = round(x[i]);
        return r;
    }

    /** The command-line name: f32 or bf16. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
