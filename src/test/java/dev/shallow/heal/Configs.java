package dev.shallow.heal;

import dev.shallow.model.ModelConfig;

/** Small model configurations for op-level tests. */
final class Configs {
    private Configs() {
    }

    static ModelConfig of(int hidden, int ffn, int heads, int kvHeads, int headDim, int vocab) {
        return new ModelConfig("llama", "LlamaForCausalLM", hidden, ffn, 1, heads, kvHeads, headDim, vocab, 64, 1e-5f,
                10000.0, null, false, false, 0, "float32", 1, 2);
    }
}
