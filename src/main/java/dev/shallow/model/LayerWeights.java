package dev.shallow.model;

import dev.shallow.tensor.Tensor;

/**
 * The weights of one decoder layer, as views of the checkpoint. Norm weights and biases are small
 * and kept widened to F32; biases are null when the architecture has none (Llama, Mistral).
 */
public record LayerWeights(
        float[] attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
        float[] bq, float[] bk, float[] bv,
        float[] ffnNorm, Tensor wGate, Tensor wUp, Tensor wDown) {

    /** The seven projection matrices (the views of the checkpoint this layer reads). */
    public java.util.List<Tensor> matrices() {
        return java.util.List.of(wq, wk, wv, wo, wGate, wUp, wDown);
    }

    /** Bytes of the projection matrices in the checkpoint. */
    public long matrixBytes() {
        return matrices().stream().mapToLong(t -> t.segment().byteSize()).sum();
    }
}
