package dev.shallow.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What llama.cpp's convert_hf_to_gguf.py writes for a Hugging Face checkpoint of the llama, qwen2, qwen3 or smollm3
 * architecture (GGUF v3, 32-byte alignment), written here from the converter's rules so tests need no Python:
 * TextModel.set_gguf_parameters' keys, LlamaModel's extra keys and q/k permutation, gguf-py's tensor names, 2-D
 * tensors in the checkpoint's dtype (F32 or BF16, the converter's --outtype auto), 1-D ones as F32. The tokenizer
 * (llama.cpp needs one to load the file) is copied from another GGUF.
 */
public final class HfToGguf {
    /** convert_hf_to_gguf.py: LlamaModel and its subclass SmolLM3Model (undo_permute = True); Qwen2Model and Qwen3Model are TextModels. */
    private static final List<String> LLAMA_MODELS = List.of("llama", "smollm3");

    /** gguf-py tensor_mapping.py: Hugging Face layer parts to llama.cpp's (src/llama-arch.cpp LLM_TENSOR_NAMES). */
    private static final Map<String, String> LAYER_PARTS = Map.ofEntries(
            Map.entry("input_layernorm", "attn_norm"), Map.entry("self_attn.q_proj", "attn_q"),
            Map.entry("self_attn.k_proj", "attn_k"), Map.entry("self_attn.v_proj", "attn_v"),
            Map.entry("self_attn.o_proj", "attn_output"), Map.entry("self_attn.q_norm", "attn_q_norm"),
            Map.entry("self_attn.k_norm", "attn_k_norm"), Map.entry("post_attention_layernorm", "ffn_norm"),
            Map.entry("mlp.gate_proj", "ffn_gate"), Map.entry("mlp.up_proj", "ffn_up"), Map.entry("mlp.down_proj", "ffn_down"));

    private static final Map<String, String> TOP = Map.of("model.embed_tokens", "token_embd", "model.norm", "output_norm", "lm_head", "output");

    private HfToGguf() {
    }

    /** The GGUF of model directory {@code hf} as architecture {@code arch}, with {@code tokenizer}'s tokenizer.ggml.* keys, written to {@code out}. */
    public static Path convert(Path hf, String arch, Path tokenizer, Path out) {
        JsonNode c = config(hf);
        int heads = c.path("num_attention_heads").asInt(), kvHeads = c.path("num_key_value_heads").asInt(heads);
        int headDim = c.path("head_dim").asInt(c.path("hidden_size").asInt() / heads);
        GgufBuilder b = new GgufBuilder().string("general.architecture", arch);
        // convert_hf_to_gguf.py TextModel.set_gguf_parameters
        b.u32(arch + ".block_count", c.path("num_hidden_layers").asInt())
                .u32(arch + ".context_length", c.path("max_position_embeddings").asInt())
                .u32(arch + ".embedding_length", c.path("hidden_size").asInt())
                .u32(arch + ".feed_forward_length", c.path("intermediate_size").asInt())
                .u32(arch + ".attention.head_count", heads)
                .u32(arch + ".attention.head_count_kv", kvHeads)
                .f32(arch + ".rope.freq_base", (float) c.path("rope_theta").asDouble())
                .f32(arch + ".attention.layer_norm_rms_epsilon", (float) c.path("rms_norm_eps").asDouble());
        if (c.has("head_dim")) b.u32(arch + ".attention.key_length", headDim).u32(arch + ".attention.value_length", headDim);
        boolean llama = LLAMA_MODELS.contains(arch);
        if (llama) b.u32(arch + ".vocab_size", c.path("vocab_size").asInt()).u32(arch + ".rope.dimension_count", headDim); // LlamaModel.set_gguf_parameters
        copyTokenizer(tokenizer, b);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        try (Checkpoint ck = Checkpoint.open(hf)) {
            for (String name : new TreeSet<>(ck.names())) {
                Tensor t = ck.tensor(name);
                byte[] bytes = bytes(t);
                // LlamaModel.modify_tensors: permute(q_proj, n_head, n_head), permute(k_proj, n_head, n_kv_head), weights and biases
                if (llama && name.contains("self_attn.q_proj.")) bytes = permute(bytes, heads, t.shape()[0]);
                if (llama && name.contains("self_attn.k_proj.")) bytes = permute(bytes, kvHeads, t.shape()[0]);
                long[] ne = t.shape().length == 2 ? new long[]{t.shape()[1], t.shape()[0]} : t.shape(); // GGUF lists ne[0] (columns) first
                b.tensor(ggufName(name), t.shape().length == 2 && t.dtype() == DType.BF16 ? GgmlType.BF16 : GgmlType.F32, data.size(), ne);
                data.writeBytes(bytes);
                while (data.size() % GgufFile.DEFAULT_ALIGNMENT != 0) data.write(0);
            }
        }
        return b.data(data.toByteArray()).write(out);
    }

    private static JsonNode config(Path hf) {
        try {
            return new ObjectMapper().readTree(hf.resolve("config.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** convert_hf_to_gguf.py's set_vocab output as the source GGUF has it: model, tokens, scores, types, special ids. */
    private static void copyTokenizer(Path source, GgufBuilder b) {
        try (GgufWeights w = GgufWeights.open(source)) {
            GgufMetadata m = w.metadata();
            b.string("tokenizer.ggml.model", m.string("tokenizer.ggml.model"))
                    .stringArray("tokenizer.ggml.tokens", m.stringArray("tokenizer.ggml.tokens"))
                    .floatArray("tokenizer.ggml.scores", m.floatArray("tokenizer.ggml.scores"))
                    .intArray("tokenizer.ggml.token_type", m.intArray("tokenizer.ggml.token_type"));
            for (String id : List.of("bos", "eos", "unknown")) b.u32("tokenizer.ggml." + id + "_token_id", m.longValue("tokenizer.ggml." + id + "_token_id"));
        }
    }

    /** gguf-py's name of a Hugging Face tensor: {@code model.layers.3.mlp.up_proj.weight} is {@code blk.3.ffn_up.weight}. */
    static String ggufName(String hf) {
        String suffix = hf.substring(hf.lastIndexOf('.')), stem = hf.substring(0, hf.lastIndexOf('.'));
        if (TOP.containsKey(stem)) return TOP.get(stem) + suffix;
        String[] p = stem.split("\\.", 4); // model, layers, N, part
        String part = LAYER_PARTS.get(p[3]);
        if (part == null) throw new IllegalArgumentException("no GGUF name for " + hf);
        return "blk." + p[2] + "." + part + suffix;
    }

    /** 2-D tensors as stored (F32, BF16); 1-D ones widened to F32 (convert_hf_to_gguf.py keeps 1-D tensors F32). */
    private static byte[] bytes(Tensor t) {
        if (t.shape().length == 2) return t.segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(4 * t.size())).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < t.size(); i++) out.putFloat(t.get(i));
        return out.array();
    }

    /**
     * LlamaModel.permute: rows viewed as (n_head, 2, d/2) swapped to (n_head, d/2, 2), so row h*d + p*d/2 + i moves to
     * h*d + 2i + p (the rotate-half pair (i, i + d/2) becomes the adjacent pair NORM RoPE rotates).
     */
    static byte[] permute(byte[] rows, int heads, long rowCount) {
        int n = Math.toIntExact(rowCount), d = n / heads, half = d / 2, rowBytes = rows.length / n;
        byte[] out = new byte[rows.length];
        for (int h = 0; h < heads; h++) {
            for (int p = 0; p < 2; p++) {
                for (int i = 0; i < half; i++) System.arraycopy(rows, (h * d + p * half + i) * rowBytes, out, (h * d + 2 * i + p) * rowBytes, rowBytes);
            }
        }
        return out;
    }
}
