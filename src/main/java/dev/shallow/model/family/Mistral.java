package dev.shallow.model.family;

import dev.shallow.model.ConfigJson;
import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;

/**
 * Mistral (MistralForCausalLM): Llama's layer with one sliding window on every layer when
 * {@code sliding_window} is set (MistralConfig's default is 4096 when the key is absent; null disables it).
 */
public final class Mistral extends Family {
    public Mistral() {
        super("mistral", "mistral");
    }

    @Override
    public ModelConfig read(ConfigJson j) {
        ModelConfig.Builder b = Llama.layer(j, this);
        b.tieWordEmbeddings = j.bool("tie_word_embeddings", false);
        return b.layers(Common.uniform(b.numLayers, new LayerType(Common.window(j, 4096), Common.rope(j, 10000, b.headDim)))).build();
    }

    /** convert_hf_to_gguf.py registers MistralForCausalLM as a LlamaModel: written as llama.cpp's llama, q/k permuted. */
    @Override
    public String ggufWriteArchitecture() {
        return "llama";
    }

    @Override
    public boolean ggufInterleavedQk() {
        return true;
    }
}
