package dev.shallow.model.family;

import dev.shallow.model.GgufKeys;
import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.RopeSpec;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.io.GgufWriter;
import dev.shallow.model.InterleavedRows;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** The GGUF metadata every family reads the same way (llama.cpp src/llama-model.cpp load_hparams, with its defaults). */
final class GgufCommon {
    private GgufCommon() {
    }

    /**
     * Sizes, heads (head_dim: attention.key_length, else hidden / heads), vocabulary (token_embd's rows), context, RMS eps,
     * tying ({@code output.weight} absent), token ids, and the biases llama.cpp loads when their tensors are present.
     */
    static ModelConfig.Builder base(GgufKeys k, Family f) {
        return base(k, f, "attention.layer_norm_rms_epsilon");
    }

    /**
     * {@link #base(GgufKeys, Family)} with the norm epsilon under {@code epsKey}: attention.layer_norm_rms_epsilon for RMSNorm
     * families, attention.layer_norm_epsilon for LayerNorm ones (llama.cpp src/models/phi2.cpp load_arch_hparams); required, as
     * llama.cpp's get_key without a default.
     */
    static ModelConfig.Builder base(GgufKeys k, Family f, String epsKey) {
        ModelConfig.Builder b = new ModelConfig.Builder();
        b.family = f.name();
        b.modelType = f.modelTypes().isEmpty() ? f.name() : f.modelTypes().getFirst(); // deci, read from GGUF only, has no model_type
        b.architecture = k.architecture();
        b.hiddenSize = k.size("embedding_length", ModelConfig.MAX_DIM);
        b.intermediateSize = k.size("feed_forward_length", ModelConfig.MAX_DIM);
        b.numLayers = k.size("block_count", ModelConfig.MAX_LAYERS);
        b.numHeads = k.size("attention.head_count", ModelConfig.MAX_DIM);
        b.numKvHeads = k.positiveInt("attention.head_count_kv", b.numHeads, ModelConfig.MAX_DIM); // llama.cpp: n_head_kv defaults to n_head
        if (b.numHeads % b.numKvHeads != 0) throw k.fail("attention.head_count " + b.numHeads + " is not a multiple of head_count_kv " + b.numKvHeads);
        if (!k.has("attention.key_length") && b.hiddenSize % b.numHeads != 0) {
            throw k.fail("embedding_length " + b.hiddenSize + " is not a multiple of attention.head_count " + b.numHeads);
        }
        b.headDim = k.positiveInt("attention.key_length", b.hiddenSize / b.numHeads, ModelConfig.MAX_DIM); // llama.cpp: n_embd_head_k = n_embd / n_head
        String embed = TensorNames.GGUF.embed() + ".weight";
        long[] embedShape = k.weights().shape(embed);
        if (embedShape.length != 2 || embedShape[0] > 1 << 24) throw k.fail("tensor '" + embed + "' has shape " + java.util.Arrays.toString(embedShape) + ", not [vocab, hidden]");
        b.vocabSize = (int) embedShape[0];
        b.maxPositionEmbeddings = k.positiveInt("context_length", 2048, Integer.MAX_VALUE);
        if (!k.has(epsKey)) throw k.fail("metadata key '" + k.key(epsKey) + "' is missing");
        b.normEps = (float) k.positive(epsKey, 0);
        b.tieWordEmbeddings = !k.hasTensor(TensorNames.GGUF.head() + ".weight"); // llama.cpp: output absent -> token_embd is the head
        b.torchDtype = switch (k.weights().stored(embed).type()) {
            case "F16" -> "float16";
            case "BF16" -> "bfloat16";
            default -> "float32";
        };
        b.bosTokenId = k.tokenId("tokenizer.ggml.bos_token_id");
        b.eosTokenId = k.tokenId("tokenizer.ggml.eos_token_id");
        b.qkvBias = k.hasTensor(TensorNames.GGUF.layer(0, TensorNames.GGUF.q(), "bias"));
        b.outputBias = k.hasTensor(TensorNames.GGUF.layer(0, TensorNames.GGUF.o(), "bias"));
        b.mlpBias = k.hasTensor(TensorNames.GGUF.layer(0, TensorNames.GGUF.up(), "bias"));
        return b;
    }

    /**
     * rope.freq_base (llama.cpp's default 10000 when absent) over rope.dimension_count dims (head_dim when absent); rope.scaling.type
     * none or linear (rope.scaling.factor); llama3's rope_freqs tensor and the other scalings are refused.
     */
    static RopeSpec rope(GgufKeys k, int headDim) {
        int dims = k.positiveInt("rope.dimension_count", headDim, headDim);
        if (dims % 2 != 0) throw k.fail("rope.dimension_count " + dims + " is odd");
        if (k.hasTensor("rope_freqs.weight")) throw k.fail("RoPE frequency factors (rope_freqs.weight, llama3 or longrope scaling) are not supported yet");
        // llama.cpp load_hparams: rope_scaling defaults to "linear", the factor is rope.scaling.factor (else the old rope.scale_linear,
        // 0 or absent: 1); llama_context then never scales for type none (src/llama-context.cpp: "never scale if scaling type is none")
        String type = k.string("rope.scaling.type", "linear");
        String factorKey = k.has("rope.scaling.factor") || !k.has("rope.scale_linear") ? "rope.scaling.factor" : "rope.scale_linear";
        double factor = k.has(factorKey) && k.metadata().doubleValue(k.key(factorKey)) == 0 ? 1 : k.positive(factorKey, 1);
        RopeSpec.Scaling scaling = switch (type) {
            case "none" -> null;
            case "linear" -> factor == 1 ? null : RopeSpec.Scaling.linear(factor);
            default -> throw k.fail("rope.scaling.type '" + type + "' is not supported yet (none, linear are)");
        };
        return new RopeSpec(k.positive("rope.freq_base", 10000), dims, scaling);
    }

    /** Every layer one RoPE type, no window: llama.cpp's plain architectures. */
    static ModelConfig uniform(ModelConfig.Builder b, RopeSpec rope) {
        return b.layers(Common.uniform(b.numLayers, new LayerType(0, rope))).build();
    }

    /** The layer types with layer i rotating iff {@code (i + 1) % step != 0} (llama.cpp n_no_rope_layer_step). */
    static List<LayerType> noRopeEvery(int layers, int step, RopeSpec rope) {
        List<LayerType> out = new java.util.ArrayList<>(layers);
        for (int i = 0; i < layers; i++) out.add(new LayerType(0, noRope(i, step) ? null : rope));
        return out;
    }

    /** Whether layer i is NoPE when every {@code step}-th layer is. */
    static boolean noRope(int layer, int step) {
        return (layer + 1) % step == 0;
    }

    // ---- writing: the inverse of the above (convert_hf_to_gguf.py TextModel / LlamaModel set_gguf_parameters) ----

    /**
     * The keys every family writes: block_count, context_length, embedding_length, feed_forward_length, attention.head_count(_kv),
     * key_length / value_length (head_dim), the norm's epsilon (layer_norm_rms_epsilon, or layer_norm_epsilon for LayerNorm),
     * vocab_size, and RoPE: freq_base, dimension_count (the rotated dims), linear scaling (rope.scaling.type, .factor). One RoPE
     * for every rotating layer; llama3, longrope and other scalings are refused (llama.cpp needs a rope_freqs tensor or keys
     * Shallow's reader does not read back).
     */
    static void writeKeys(Family f, ModelConfig c, GgufWriter.Metadata m) {
        String a = f.ggufWriteArchitecture() + ".";
        m.u32(a + "block_count", c.numLayers())
                .u32(a + "context_length", c.maxPositionEmbeddings())
                .u32(a + "embedding_length", c.hiddenSize())
                .u32(a + "feed_forward_length", c.intermediateSize())
                .u32(a + "attention.head_count", c.numHeads())
                .u32(a + "attention.head_count_kv", c.numKvHeads())
                .u32(a + "attention.key_length", c.headDim())
                .u32(a + "attention.value_length", c.headDim());
        if (c.norm() == dev.shallow.model.NormKind.LAYER) m.f32(a + "attention.layer_norm_epsilon", c.normEps());
        else m.f32(a + "attention.layer_norm_rms_epsilon", c.normEps());
        m.u32(a + "vocab_size", c.vocabSize());
        List<RopeSpec> ropes = c.ropes();
        if (ropes.size() > 1) throw new IllegalArgumentException("layers with different RoPE settings (" + ropes + ") cannot be written as llama.cpp's " + f.ggufWriteArchitecture());
        if (!ropes.isEmpty()) writeRope(f, ropes.getFirst(), m);
    }

    /** The keys of sizes and norms alone: {@link #writeKeys} without RoPE, for a family that writes its RoPE keys itself (Gemma). */
    static void writeKeysWithoutRope(Family f, ModelConfig c, GgufWriter.Metadata m) {
        writeKeys(f, new ModelConfig.Builder(c).layers(Common.uniform(c.numLayers(), new LayerType(0, null))).build(), m);
    }

    /** rope.freq_base, rope.dimension_count and linear scaling (rope.scaling.type, .factor) of {@code r}; other scalings refused. */
    static void writeRope(Family f, RopeSpec r, GgufWriter.Metadata m) {
        String a = f.ggufWriteArchitecture() + ".";
        m.f32(a + "rope.freq_base", (float) r.theta()).u32(a + "rope.dimension_count", r.rotaryDim());
        if (r.scaling() == null) return;
        if (!r.scaling().type().equals("linear")) {
            throw new IllegalArgumentException("rope_scaling " + r.scaling().type() + " is not written to GGUF yet (none and linear are)");
        }
        m.string(a + "rope.scaling.type", "linear").f32(a + "rope.scaling.factor", (float) r.scaling().factor());
    }

    /**
     * The tensors llama.cpp's common layout has (gguf-py tensor_mapping.py): token_embd, per layer every part both
     * {@code hf} and {@link TensorNames#GGUF} name (weight, and bias when stored), output_norm, and output unless tied;
     * q/k rows (and biases) placed in llama.cpp's interleaved order when {@link Family#ggufInterleavedQk}
     * ({@link InterleavedRows#ggufRow}, convert_hf_to_gguf.py LlamaModel.permute). A stored part llama.cpp's layout
     * does not name (a fused projection) is refused: its family must map it.
     */
    static List<GgufTensor> tensors(Family f, ModelConfig c, TensorNames hf, Predicate<String> stored, int[] sourceLayers) {
        return tensors(f, c, hf, TensorNames.GGUF, stored, sourceLayers);
    }

    /**
     * The same with llama.cpp's names {@code g} for the parts: a family whose llama.cpp tensors are fused passes
     * {@code TensorNames.GGUF.fused(FUSED_QKV, "ffn_up")} (Phi-3's attn_qkv and [gate | up] ffn_up), so its fused Hugging Face
     * parts pair with them.
     */
    static List<GgufTensor> tensors(Family f, ModelConfig c, TensorNames hf, TensorNames g, Predicate<String> stored, int[] sourceLayers) {
        List<GgufTensor> out = new ArrayList<>();
        out.add(GgufTensor.renamed(g.embed() + ".weight", hf.embed() + ".weight"));
        List<String> hp = hf.layerParts(), gp = g.layerParts();
        for (int i = 0; i < sourceLayers.length; i++) {
            for (int p = 0; p < hp.size(); p++) {
                if (hp.get(p) == null) continue;
                for (String suffix : List.of("weight", "bias")) {
                    String source = hf.layer(sourceLayers[i], hp.get(p), suffix);
                    if (!stored.test(source)) continue;
                    if (gp.get(p) == null) throw new IllegalArgumentException("tensor '" + source + "' has no llama.cpp counterpart in the " + f.name() + " GGUF mapping");
                    GgufTensor t = GgufTensor.renamed(g.layer(i, gp.get(p), suffix), source);
                    boolean qk = gp.get(p).equals(g.q()) || gp.get(p).equals(g.k());
                    out.add(qk && f.ggufInterleavedQk() ? t.placed(r -> InterleavedRows.ggufRow(r, c.headDim())) : t);
                }
            }
        }
        for (String suffix : List.of("weight", "bias")) {
            if (stored.test(hf.finalNorm() + "." + suffix)) out.add(GgufTensor.renamed(g.finalNorm() + "." + suffix, hf.finalNorm() + "." + suffix));
        }
        if (!c.tieWordEmbeddings()) {
            for (String suffix : List.of("weight", "bias")) {
                if (stored.test(hf.head() + "." + suffix)) out.add(GgufTensor.renamed(g.head() + "." + suffix, hf.head() + "." + suffix));
            }
        }
        return out;
    }

    /** The config.json keys transformers' Llama-like configuration classes read (LlamaConfig, Qwen2Config, Qwen3Config, SmolLM3Config). */
    static ObjectNode hfConfig(Family f, ModelConfig c) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.putArray("architectures").add(f.hfClass());
        o.put("model_type", f.modelTypes().getFirst())
                .put("hidden_size", c.hiddenSize()).put("intermediate_size", c.intermediateSize())
                .put("num_hidden_layers", c.numLayers()).put("num_attention_heads", c.numHeads())
                .put("num_key_value_heads", c.numKvHeads()).put("head_dim", c.headDim())
                .put("max_position_embeddings", c.maxPositionEmbeddings()).put("rms_norm_eps", c.normEps())
                .put("hidden_act", "silu").put("vocab_size", c.vocabSize()).put("tie_word_embeddings", c.tieWordEmbeddings())
                .put("attention_bias", c.qkvBias()).put("mlp_bias", c.mlpBias()).put("use_sliding_window", false)
                .put("torch_dtype", c.torchDtype());
        if (c.bosTokenId() >= 0) o.put("bos_token_id", c.bosTokenId());
        if (c.eosTokenId() >= 0) o.put("eos_token_id", c.eosTokenId());
        List<RopeSpec> ropes = c.ropes();
        if (!ropes.isEmpty()) {
            o.put("rope_theta", ropes.getFirst().theta());
            RopeSpec.Scaling s = ropes.getFirst().scaling();
            if (s != null) o.putObject("rope_scaling").put("rope_type", s.type()).put("factor", s.factor());
            else o.putNull("rope_scaling");
        }
        return o;
    }

    /** {@code o} with partial_rotary_factor = rotated dims / head_dim (Phi-2, Phi-3: transformers rotates int(head_dim x factor) dims). */
    static ObjectNode partialRotary(ObjectNode o, ModelConfig c) {
        List<RopeSpec> ropes = c.ropes();
        if (!ropes.isEmpty()) o.put("partial_rotary_factor", (double) ropes.getFirst().rotaryDim() / c.headDim());
        return o;
    }

    /** llama.cpp's fused q/k/v projection (src/llama-model.cpp create_tensor_qkv: {@code blk.N.attn_qkv} when stored, else attn_q/k/v). */
    static final String FUSED_QKV = "attn_qkv";

    /**
     * llama.cpp's names for a file that may hold q/k/v fused: create_tensor_qkv loads {@code blk.N.attn_qkv} (rows [q | k | v],
     * optional bias) when the file has it, else attn_q, attn_k, attn_v; {@code gateUp}, when not null, is the fused [gate | up]
     * tensor the family's loader reads (Phi-3's ffn_up).
     */
    static TensorNames names(Predicate<String> stored, String gateUp) {
        boolean fused = stored.test(TensorNames.GGUF.layer(0, FUSED_QKV, "weight"));
        return TensorNames.GGUF.fused(fused ? FUSED_QKV : null, gateUp);
    }

    /** q/k/v biases as llama.cpp loads them: optional, from the fused tensor's bias when q/k/v are fused. */
    static boolean qkvBias(GgufKeys k) {
        String part = k.hasTensor(TensorNames.GGUF.layer(0, FUSED_QKV, "weight")) ? FUSED_QKV : TensorNames.GGUF.q();
        return k.hasTensor(TensorNames.GGUF.layer(0, part, "bias"));
    }

    /**
     * Refuses a file holding {@code name}: a tensor the architecture's llama.cpp loader does not create, so llama.cpp refuses the
     * file too (llama_model_loader::done_getting_tensors, "wrong number of tensors"); {@code what} says what it would be.
     */
    static void refuseTensor(GgufKeys k, String name, String what) {
        if (k.hasTensor(name)) throw k.fail("tensor '" + name + "' (" + what + ") is not part of llama.cpp's " + k.architecture() + " architecture");
    }
}
