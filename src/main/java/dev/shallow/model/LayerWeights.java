package dev.shallow.model;

import dev.shallow.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The weights of one decoder layer, whatever the family, as views of the checkpoint (a fused qkv_proj or
 * gate_up_proj is viewed as its row blocks). Norm weights and biases are small and kept widened to F32.
 * Parts a family does not have are null: biases, q/k norms, post-norms (Gemma), ffnNorm (Phi-2's parallel
 * block has one norm), wGate (an ungated MLP: Phi-2's fc1 is wUp, fc2 wDown).
 */
public record LayerWeights(
        NormWeights attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
        float[] bq, float[] bk, float[] bv, float[] bo,
        NormWeights qNorm, NormWeights kNorm, NormWeights postAttnNorm,
        NormWeights ffnNorm, Tensor wGate, Tensor wUp, Tensor wDown,
        float[] bGate, float[] bUp, float[] bDown, NormWeights postFfnNorm) {

    /** This layer with another down projection (Phi-2: fc2) and its bias. */
    public LayerWeights withDown(Tensor down, float[] downBias) {
        return new LayerWeights(attnNorm, wq, wk, wv, wo, bq, bk, bv, bo, qNorm, kNorm, postAttnNorm, ffnNorm, wGate, wUp, down,
                bGate, bUp, downBias, postFfnNorm);
    }

    /** The projection matrices (the views of the checkpoint this layer reads). */
    public List<Tensor> matrices() {
        List<Tensor> out = new ArrayList<>(7);
        for (Tensor t : new Tensor[]{wq, wk, wv, wo, wGate, wUp, wDown}) if (t != null) out.add(t);
        return out;
    }

    /** Bytes of the projection matrices in the checkpoint. */
    public long matrixBytes() {
        return matrices().stream().mapToLong(t -> t.segment().byteSize()).sum();
    }
}
