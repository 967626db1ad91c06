package dev.shallow.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.io.GgufWriter;
import dev.shallow.model.AbsentSubBlocks;
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

    /** The sub-blocks of a GGUF file's layers that it leaves out ({@code layers} = its block count): by default none. */
    public AbsentSubBlocks ggufAbsentSubBlocks(GgufKeys k, int layers) {
        return AbsentSubBlocks.none(layers);
    }

    /**
     * True when llama.cpp's converter stores q/k rows per head in the interleaved RoPE order, (2i, 2i + 1), which the
     * reader must put back into rotate-half order (convert_hf_to_gguf.py LlamaModel.permute, applied for its NORM rope type).
     */
    public boolean ggufInterleavedQk() {
        return false;
    }

    // ---- writing a GGUF file: the inverse of readGguf (convert_hf_to_gguf.py's per-family class) ----

    // Every family is written as a GGUF file: its writeGgufKeys and ggufTensors (both default to llama.cpp's common layout,
    // GgufCommon) must read back, through readGguf, the config it wrote.

    /** llama.cpp's architecture this family is written as ({@code general.architecture}): by default the one it is read as. */
    public String ggufWriteArchitecture() {
        return ggufArchitecture();
    }

    /**
     * Puts the {@code ARCH.*} keys llama.cpp reads for {@code c} into {@code m} (convert_hf_to_gguf.py set_gguf_parameters):
     * by default {@link GgufCommon#writeKeys} (sizes, heads, head length, eps, RoPE base, dimensions and linear scaling,
     * vocab size). A family adds its own keys after calling this. Throws, in one line naming the setting, when llama.cpp's
     * architecture cannot express {@code c} (another RoPE scaling, a layer pattern its graph fixes otherwise).
     */
    public void writeGgufKeys(ModelConfig c, GgufWriter.Metadata m) {
        GgufCommon.writeKeys(this, c, m);
    }

    /**
     * The tensors of the GGUF file, in file order, each with the Hugging Face tensors it is made of (named by {@code hf})
     * and its transforms ({@link GgufTensor}: renames, row placement, value maps, stacking). GGUF layer i is made from
     * Hugging Face layer {@code sourceLayers[i]} (all layers, or the kept ones of a pruning). By default
     * {@link GgufCommon#tensors}: every layer part both name sets have, the top-level tensors, q/k rows interleaved when
     * {@link #ggufInterleavedQk}.
     */
    public List<GgufTensor> ggufTensors(ModelConfig c, TensorNames hf, Predicate<String> stored, int[] sourceLayers) {
        return GgufCommon.tensors(this, c, hf, stored, sourceLayers);
    }

    /**
     * True for a stored tensor the GGUF file of this family does not hold by design (a multimodal checkpoint's vision tower, which
     * llama.cpp reads from a separate mmproj file): written without it, with a warning; any other stored tensor without a place
     * in the file is refused. {@code hf}: the checkpoint's tensor names.
     */
    public boolean ggufLeavesOut(String tensor, TensorNames hf) {
        return false;
    }

    /**
     * The tensors of a GGUF file of this family holding the tensors {@code ggufStored} tests for, each with the Hugging Face
     * tensors it splits back into (GGUF to Hugging Face): by default {@link #ggufTensors} of every layer as this family writes
     * them; a family whose loader also takes another layout (Phi-2's fused attn_qkv) maps that one when the file has it.
     */
    public List<GgufTensor> ggufFileTensors(ModelConfig c, Predicate<String> ggufStored) {
        return ggufTensors(c, names(), name -> true, java.util.stream.IntStream.range(0, c.numLayers()).toArray());
    }

    /**
     * Null when llama.cpp's graph for this architecture computes {@code c} as Hugging Face does with respect to sliding
     * windows; else one line naming the config key and the token count past which llama.cpp's outputs differ. By default
     * any active window (shorter than the context) is ignored: llama.cpp's llama, qwen2 and qwen3 graphs have no
     * sliding-window attention (src/llama-model.cpp llm_build_llama / llm_build_qwen2 / llm_build_qwen3) and phi3 switches
     * it off; null for the architectures whose graphs honour the window ({@link #SLIDING_WINDOW_GRAPHS}).
     */
    public String ggufIgnoredWindow(ModelConfig c) {
        if (SLIDING_WINDOW_GRAPHS.contains(ggufWriteArchitecture())) return null;
        int window = 0, layers = 0;
        for (LayerType t : c.layerTypes()) {
            if (t.sliding() && t.window() < c.maxPositionEmbeddings()) {
                window = Math.max(window, t.window());
                layers++;
            }
        }
        if (layers == 0) return null;
        return "sliding_window = " + window + " (on " + layers + " of " + c.numLayers() + " layers): llama.cpp's " + ggufWriteArchitecture()
                + " graph has no sliding-window attention, so its outputs differ from this model's for sequences longer than " + window + " tokens";
    }

    /**
     * The Hugging Face model of {@code c}, a config read from a GGUF file ({@link #readGguf}): by default the same; a family whose
     * file stores weights in another form (Gemma's norms as 1 + w) says how the Hugging Face checkpoint computes them.
     */
    public ModelConfig fromGguf(ModelConfig c) {
        return c;
    }

    /**
     * llama.cpp architectures (of those Shallow writes) whose graphs have sliding-window attention as transformers masks it
     * (src/models/gemma2.cpp, gemma3.cpp: LLAMA_SWA_TYPE_STANDARD, a key masked when p1 - p0 >= n_swa).
     */
    private static final java.util.Set<String> SLIDING_WINDOW_GRAPHS = java.util.Set.of("gemma2", "gemma3");

    /** transformers' class of this family's checkpoints ({@code architectures} of config.json), or null when not written. */
    protected String hfClass() {
        return null;
    }

    /**
     * The config.json of {@code c} (read from a GGUF) as transformers' configuration class of this family has it: by default
     * {@link GgufCommon#hfConfig} (sizes, heads, head_dim, eps, RoPE, biases, tying, token ids, dtype) plus
     * {@link #perLayerSettings}. The converter reads it back with {@link #read} and refuses a config that does not give {@code c}.
     */
    public ObjectNode hfConfig(ModelConfig c) {
        if (hfClass() == null) throw new IllegalArgumentException(name() + " is not written as a Hugging Face config from GGUF yet");
        ObjectNode o = GgufCommon.hfConfig(this, c);
        perLayerSettings(c).forEach(o::set);
        return o;
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
