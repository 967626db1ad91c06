package dev.shallow.model.family;

import dev.shallow.model.GgufKeys;
import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.RopeSpec;

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
        b.modelType = f.modelTypes().getFirst();
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
        String type = k.string("rope.scaling.type", "none");
        RopeSpec.Scaling scaling = switch (type) {
            case "none" -> null;
            case "linear" -> RopeSpec.Scaling.linear(k.positive("rope.scaling.factor", 1));
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
        for (int i = 0; i < layers; i++) out.add(new LayerType(0, (i + 1) % step != 0 ? rope : null));
        return out;
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
