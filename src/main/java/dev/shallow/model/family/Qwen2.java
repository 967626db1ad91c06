package dev.shallow.model.family;

import dev.shallow.model.ConfigJson;
import dev.shallow.model.GgufKeys;
import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.RopeSpec;

import java.util.List;

/** Qwen2 (Qwen2ForCausalLM): Llama with q/k/v biases; sliding window on layers >= max_window_layers when use_sliding_window. */
public final class Qwen2 extends Family {
    public Qwen2() {
        super("qwen2", "qwen2", java.util.List.of("qwen2"));
    }

    @Override
    public ModelConfig read(ConfigJson j) {
        ModelConfig.Builder b = Common.base(j, this, "rms_norm_eps", 1e-6, false, 0);
        Common.activation(j, "hidden_act", "silu", b);
        b.qkvBias = true;
        return b.layers(layerTypes(j, b.numLayers, Common.rope(j, 10000, b.headDim))).build();
    }

    /**
     * Qwen2/Qwen3's rule: sliding_window counts only with use_sliding_window; without layer_types, layer i slides
     * iff the window is set and i >= max_window_layers (default 28).
     */
    static List<LayerType> layerTypes(ConfigJson j, int layers, RopeSpec rope) {
        int window = j.bool("use_sliding_window", false) ? Common.window(j, 4096) : 0;
        int maxWindowLayers = j.nonNegativeInt("max_window_layers", 28);
        boolean[] slides = new boolean[layers];
        for (int i = 0; i < layers; i++) slides[i] = window > 0 && i >= maxWindowLayers;
        return Common.layerTypes(j, layers, slides, window, rope, rope);
    }

    /** llama.cpp's qwen2: q/k/v biases, no window (llama.cpp's qwen2 graph has none). */
    @Override
    public ModelConfig readGguf(GgufKeys k) {
        ModelConfig.Builder b = GgufCommon.base(k, this);
        b.qkvBias = true; // llama.cpp's qwen2 loads attn_q/k/v biases as required tensors
        return GgufCommon.uniform(b, GgufCommon.rope(k, b.headDim));
    }

    @Override
    protected String hfClass() {
        return "Qwen2ForCausalLM";
    }
}
