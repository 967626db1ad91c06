package dev.shallow.heal;

import dev.shallow.model.LayerWeights;

/** The frozen weights of one decoder layer as training reads them; biases null when the architecture has none. */
public record FrozenLayer(
        float[] attnNorm, Weight wq, Weight wk, Weight wv, Weight wo,
        float[] bq, float[] bk, float[] bv,
        float[] ffnNorm, Weight wGate, Weight wUp, Weight wDown) {

    /** The checkpoint's tensors as they are (views). */
    static FrozenLayer dense(LayerWeights w) {
        return new FrozenLayer(w.attnNorm().scale(), new DenseWeight(w.wq()), new DenseWeight(w.wk()), new DenseWeight(w.wv()),
                new DenseWeight(w.wo()), w.bq(), w.bk(), w.bv(), w.ffnNorm().scale(), new DenseWeight(w.wGate()),
                new DenseWeight(w.wUp()), new DenseWeight(w.wDown()));
    }

    /** The seven projections quantized to NF4 (norms and biases stay float, as in QLoRA). */
    static FrozenLayer nf4(LayerWeights w) {
        return new FrozenLayer(w.attnNorm().scale(), Nf4.quantize(w.wq()), Nf4.quantize(w.wk()), Nf4.quantize(w.wv()),
                Nf4.quantize(w.wo()), w.bq(), w.bk(), w.bv(), w.ffnNorm().scale(), Nf4.quantize(w.wGate()),
                Nf4.quantize(w.wUp()), Nf4.quantize(w.wDown()));
    }

    public Weight weight(Projection p) {
        return switch (p) {
            case Q -> wq;
            case K -> wk;
            case V -> wv;
            case O -> wo;
            case GATE -> wGate;
            case UP -> wUp;
            case DOWN -> wDown;
        };
    }

    /** The projection's bias, or null. */
    public float[] bias(Projection p) {
        return switch (p) {
            case Q -> bq;
            case K -> bk;
            case V -> bv;
            default -> null;
        };
    }
}
