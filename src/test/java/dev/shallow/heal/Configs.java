package dev.shallow.heal;

import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.RopeSpec;

/** Small model configurations for op-level tests. */
final class Configs {
    private Configs() {
    }

    static ModelConfig of(int hidden, int ffn, int heads, int kvHeads, int headDim, int vocab) {
        return builder(hidden, ffn, heads, kvHeads, headDim, vocab).build();
    }

    /** A Llama layer's config, to change further. */
    static ModelConfig.Builder builder(int hidden, int ffn, int heads, int kvHeads, int headDim, int vocab) {
        ModelConfig.Builder b = new ModelConfig.Builder();
        b.family = b.modelType = "llama";
        b.architecture = "LlamaForCausalLM";
        b.hiddenSize = hidden;
        b.intermediateSize = ffn;
        b.numHeads = heads;
        b.numKvHeads = kvHeads;
        b.headDim = headDim;
        b.vocabSize = vocab;
        b.maxPositionEmbeddings = 64;
        b.normEps = 1e-5f;
        b.bosTokenId = 1;
        b.eosTokenId = 2;
        return b.layers(java.util.List.of(new LayerType(0, new RopeSpec(10000.0, headDim, null))));
    }
}
