package dev.shallow.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.shallow.model.ConfigJson;
import dev.shallow.model.GgufKeys;
import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * One model family, as llama.cpp's architecture table has one entry per family: how its {@code config.json}
 * maps onto a {@link ModelConfig} (with transformers' defaults and derivations), what its tensors are named,
 * and which per-layer settings a pruned config must write out explicitly. The compute code never asks which
 * family it runs; a new family is one class here plus its tests.
 */
public abstract class Family {
    private final String name;
    private final List<String> modelTypes;
    private final String ggufArchitecture;

    protected Family(String name, String... modelTypes) {
        this(name, null, List.of(modelTypes));
    }

    /** A family with a GGUF mapping: {@code ggufArchitecture} is llama.cpp's name of it (src/llama-arch.cpp LLM_ARCH_NAMES). */
    protected Family(String name, String ggufArchitecture, List<String> modelTypes) {
        this.name = name;
        this.modelTypes = modelTypes;
        this.ggufArchitecture = ggufArchitecture;
    }

    /** The family's name in messages and {@code info}. */
    public final String name() {
        return name;
    }

    /** The {@code model_type} values of config.json this family reads. */
    public final List<String> modelTypes() {
        return modelTypes;
    }

    /** The config, read with this family's defaults and rules; errors name the file and key. */
    public abstract ModelConfig read(ConfigJson json);

    /** Hugging Face tensor names. */
    public TensorNames names() {
        return TensorNames.LLAMA;
    }

    /** The tensor names of a checkpoint holding the tensors {@code stored} tests for (a multimodal family picks its prefix). */
    public TensorNames names(Predicate<String> stored) {
        return names();
    }

    /** llama.cpp's name of this family's architecture ({@code general.architecture} of a GGUF), or null when not mapped. */
    public final String ggufArchitecture() {
        return ggufArchitecture;
    }

    /** The config from a GGUF file's metadata and tensor shapes, with llama.cpp's defaults; errors name the file and key. */
    public ModelConfig readGguf(GgufKeys k) {
        throw new UnsupportedOperationException(name() + " has no GGUF mapping");
    }

    /**
     * True when llama.cpp's converter stores q/k rows per head in the interleaved RoPE order, (2i, 2i + 1), which the
     * reader must put back into rotate-half order (convert_hf_to_gguf.py LlamaModel.permute, applied for its NORM rope type).
     */
    public boolean ggufInterleavedQk() {
        return false;
    }

    /** The config.json object holding the decoder's settings: the top level, or a multimodal config's "text_config". */
    public String textConfigKey() {
        return null;
    }

    /**
     * The per-layer settings of {@code c} that a pruned config.json writes out explicitly, each one list of
     * {@code c.numLayers()} entries (the pruner cuts them to the kept layers): transformers re-derives them from
     * layer indices otherwise (patterns, alternation, intervals), giving another model. By default
     * {@code layer_types} when some layers slide and others do not (a window on every layer is one config value).
     */
    public Map<String, JsonNode> perLayerSettings(ModelConfig c) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        if (c.layerTypes().stream().map(LayerType::window).distinct().count() > 1) {
            var types = JsonNodeFactory.instance.arrayNode();
            c.layerTypes().forEach(t -> types.add(t.hfName()));
            out.put("layer_types", types);
        }
        return out;
    }

    /**
     * llama.cpp's tensor names in a GGUF file of this family holding the tensors {@code stored} tests for (a family whose
     * loader takes fused q/k/v or gate/up picks them).
     */
    public TensorNames ggufNames(Predicate<String> stored) {
        return TensorNames.GGUF;
    }
}
