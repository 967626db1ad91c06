package dev.shallow.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.shallow.model.ConfigJson;
import dev.shallow.model.GgufKeys;
import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.RopeSpec;

import java.util.List;
import java.util.Map;

/**
 * SmolLM3 (SmolLM3ForCausalLM): Llama's layer with NoPE layers ({@code no_rope_layers}: 1 = RoPE, 0 = none; else
 * every no_rope_layer_interval-th layer, 4, is NoPE); a sliding window only on NoPE layers when use_sliding_window.
 */
public final class SmolLM3 extends Family {
    /** llama.cpp src/models/smollm3.cpp n_no_rope_layer_step: every 4th layer is NoPE, a constant with no GGUF key. */
    private static final int NO_ROPE_STEP = 4;

    public SmolLM3() {
        super("smollm3", "smollm3", java.util.List.of("smollm3"));
    }

    @Override
    public ModelConfig read(ConfigJson j) {
        ModelConfig.Builder b = Llama.layer(j, this);
        b.tieWordEmbeddings = j.bool("tie_word_embeddings", true);
        RopeSpec rope = Common.rope(j, 2e6, b.headDim);
        int[] useRope = j.layerInts("no_rope_layers", b.numLayers);
        if (useRope == null) {
            int interval = j.positiveInt("no_rope_layer_interval", 4);
            useRope = new int[b.numLayers];
            for (int i = 0; i < useRope.length; i++) useRope[i] = (i + 1) % interval != 0 ? 1 : 0; // int((i+1) % interval != 0)
        }
        int window = j.bool("use_sliding_window", false) ? Common.window(j, 0) : 0;
        boolean[] slides = new boolean[b.numLayers];
        for (int i = 0; i < slides.length; i++) slides[i] = window > 0 && useRope[i] == 0;
        List<LayerType> types = Common.layerTypes(j, b.numLayers, slides, Common.window(j, 0), rope, rope);
        for (int i = 0; i < types.size(); i++) {
            if (useRope[i] != 0 && useRope[i] != 1) throw j.fail("no_rope_layers[" + i + "] must be 0 or 1, got " + useRope[i]);
            if (useRope[i] == 0) types.set(i, new LayerType(types.get(i).window(), null));
        }
        return b.layers(types).build();
    }

    /** no_rope_layers always, layer_types when a layer slides. */
    @Override
    public Map<String, JsonNode> perLayerSettings(ModelConfig c) {
        Map<String, JsonNode> out = super.perLayerSettings(c);
        var flags = JsonNodeFactory.instance.arrayNode();
        c.layerTypes().forEach(t -> flags.add(t.rope() == null ? 0 : 1));
        out.put("no_rope_layers", flags);
        return out;
    }

    /** llama.cpp's smollm3: no RoPE on every 4th layer, a constant there with no GGUF key (src/models/smollm3.cpp n_no_rope_layer_step). */
    @Override
    public ModelConfig readGguf(GgufKeys k) {
        ModelConfig.Builder b = GgufCommon.base(k, this);
        return b.layers(GgufCommon.noRopeEvery(b.numLayers, NO_ROPE_STEP, GgufCommon.rope(k, b.headDim))).build();
    }

    /** convert_hf_to_gguf.py's SmolLM3Model is a LlamaModel: it permutes q/k as Llama's. */
    @Override
    public boolean ggufInterleavedQk() {
        return true;
    }

    /** llama.cpp's smollm3 fixes its NoPE layers to every 4th (readGguf): another pattern (a pruned one) cannot be written. */
    @Override
    public void writeGgufKeys(ModelConfig c, dev.shallow.io.GgufWriter.Metadata m) {
        for (int i = 0; i < c.numLayers(); i++) {
            if ((c.layerType(i).rope() == null) != GgufCommon.noRope(i, NO_ROPE_STEP)) {
                throw new IllegalArgumentException("no_rope_layers: layer " + i + (c.layerType(i).rope() == null ? " has no RoPE" : " has RoPE")
                        + " but llama.cpp's smollm3 makes exactly every 4th layer (3, 7, 11, ...) NoPE (n_no_rope_layer_step, no GGUF key)");
            }
        }
        super.writeGgufKeys(c, m);
    }

    @Override
    protected String hfClass() {
        return "SmolLM3ForCausalLM";
    }
}
