package dev.shallow.model.family;

import dev.shallow.model.GgufKeys;
import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.RopeSpec;

import java.util.List;

/** The GGUF metadata every family reads the same way (llama.cpp src/llama-model.cpp load_hparams, with its defaults). */
final class GgufCommon {
    private GgufCommon() {
    }

    /**
     * Sizes, heads (head_dim: attention.key_length, else hidden / heads), vocabulary (token_embd's rows), context, RMS eps,
     * tying ({@code output.weight} absent), token ids, and the biases llama.cpp loads when their tensors are present.
     */
    static ModelConfig.Builder base(GgufKeys k, Family f) {
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
        if (!k.has("attention.layer_norm_rms_epsilon")) throw k.fail("metadata key '" + k.key("attention.layer_norm_rms_epsilon") + "' is missing");
        b.normEps = (float) k.positive("attention.layer_norm_rms_epsilon", 0);
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
}
