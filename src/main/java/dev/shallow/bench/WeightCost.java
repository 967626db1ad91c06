package dev.shallow.bench;

import dev.shallow.model.LayerWeights;
import dev.shallow.model.Model;
import dev.shallow.tensor.Tensor;

import java.util.List;

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
            for (Tensor t : List.of(w.wq(), w.wk(), w.wv(), w.wo(), w.wGate(), w.wUp(), w.wDown())) {
                params += t.size();
                bytes += t.segment().byteSize();
            }
        }
        Tensor head = model.lmHead();
        return new WeightCost(params, head.size(), bytes + head.segment().byteSize());
    }

    /** FLOP to prefill {@code tokens} tokens in {@code sequences} sequences, the head applied to each sequence's last token. */
    public double prefillFlop(int tokens, int sequences) {
        return 2.0 * ((double) tokens * layerMatmulParams + (double) sequences * headParams);
    }
}
