package dev.shallow.bench;

import dev.shallow.model.LayerWeights;
import dev.shallow.model.Model;
import dev.shallow.tensor.Tensor;


/**
 * The work a forward pass does on a model's weights, for the bounds the benchmark quotes:
 * FLOP of the matrix products (2 per multiply-add; attention scores and element-wise work not counted)
 * and the bytes of weight matrices one decode step reads.
 */
public record WeightCost(long layerMatmulParams, long headParams, long decodeBytesPerToken) {

    public static WeightCost of(Model model) {
        long params = 0, bytes = 0;
        for (int l = 0; l < model.config().numLayers(); l++) {
            LayerWeights w = model.layer(l);
            for (Tensor t : w.matrices()) { // a removed sub-block's matrices are null and not read
                params += t.size();
                bytes += t.segment().byteSize();
            }
        }
        Tensor head = model.lmHead();
        return new WeightCost(params, head.size(), bytes + head.segment().byteSize());
    }

    /**
     * FLOP of a forward over {@code tokens} tokens with the head applied to {@code headRows} of them (a prefill: to each
     * sequence's last token).
     */
    public double forwardFlop(long tokens, long headRows) {
        return 2.0 * ((double) tokens * layerMatmulParams + (double) headRows * headParams);
    }

    /**
     * FLOP a LoRA training step on {@code tokens} tokens needs: the layers' and the head's products twice (forward,
     * gradient of the input; frozen weights get no gradient); a layer recomputed in backward (activation checkpointing)
     * and the rank-r adapters are not counted.
     */
    public double trainingFlop(long tokens) {
        return 2.0 * tokens * 2.0 * (layerMatmulParams + headParams);
    }
}
