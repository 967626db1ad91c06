package dev.shallow.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * What llama.cpp's convert_hf_to_gguf.py writes for a Hugging Face checkpoint of the llama, qwen2, qwen3, smollm3, gemma2,
 * gemma3, phi3 or phi2 architecture (GGUF v3, 32-byte alignment), written here from the converter's rules so tests need no
 * Python: the keys of TextModel.set_gguf_parameters or the family's own, LlamaModel's q/k permutation, Gemma's norms stored as
 * 1 + w, Gemma 3's embeddings cut to the tokenizer's size, gguf-py's tensor names; 2-D tensors in the checkpoint's dtype (F32 or
 * BF16, the converter's --outtype auto) or all F32 (--outtype f32), 1-D ones and norms F32. The tokenizer (llama.cpp needs one
 * to load the file) is copied from another GGUF. Read from llama.cpp v0.4.0 (the release node-llama-cpp 3.21.1 bundles):
 * conversion/{base,llama,qwen,gemma,phi}.py.
 * <p>
 * One deliberate difference: Phi2Model writes head_count_kv = heads and feed_forward_length = 4 x hidden, constants true of the
 * released Phi-1/1.5/2 but not of tiny-phi-random (2 kv heads, ffn 2 x hidden), whose literal conversion llama.cpp refuses (its
 * tensors do not have those shapes); llama.cpp reads both keys, so this writes the checkpoint's values (a test passes the
 * converter's through {@code editKeys} to see the refusal).
 */
public final class HfToGguf {
    /** convert_hf_to_gguf.py: LlamaModel and its subclass SmolLM3Model (undo_permute = True); the others are TextModels. */
    private static final List<String> LLAMA_MODELS = List.of("llama", "smollm3");

    /** gguf-py tensor_mapping.py: Hugging Face layer parts to llama.cpp's (src/llama-arch.cpp LLM_TENSOR_NAMES). */
    private static final Map<String, String> LAYER_PARTS = Map.ofEntries(
            Map.entry("input_layernorm", "attn_norm"), Map.entry("self_attn.q_proj", "attn_q"),
            Map.entry("self_attn.k_proj", "attn_k"), Map.entry("self_attn.v_proj", "attn_v"),
            Map.entry("self_attn.o_proj", "attn_output"), Map.entry("self_attn.q_norm", "attn_q_norm"),
            Map.entry("self_attn.k_norm", "attn_k_norm"), Map.entry("post_attention_layernorm", "ffn_norm"),
            Map.entry("mlp.gate_proj", "ffn_gate"), Map.entry("mlp.up_proj", "ffn_up"), Map.entry("mlp.down_proj", "ffn_down"),
            Map.entry("self_attn.qkv_proj", "attn_qkv"), Map.entry("mlp.gate_up_proj", "ffn_up"), // phi3
            Map.entry("self_attn.dense", "attn_output"), Map.entry("mlp.fc1", "ffn_up"), Map.entry("mlp.fc2", "ffn_down")); // phi2

    /** Gemma's four norms (tensor_mapping.py ATTN_POST_NORM, FFN_PRE_NORM, FFN_POST_NORM): post_attention_layernorm is not ffn_norm. */
    private static final Map<String, String> GEMMA_PARTS = Map.of("post_attention_layernorm", "post_attention_norm",
            "pre_feedforward_layernorm", "ffn_norm", "post_feedforward_layernorm", "post_ffw_norm");

    private static final Map<String, String> TOP = Map.of("model.embed_tokens", "token_embd", "model.norm", "output_norm",
            "model.final_layernorm", "output_norm", "lm_head", "output");

    private HfToGguf() {
    }

    /** The GGUF of model directory {@code hf} as architecture {@code arch}, with {@code tokenizer}'s tokenizer.ggml.* keys, written to {@code out}. */
    public static Path convert(Path hf, String arch, Path tokenizer, Path out) {
        return convert(hf, arch, tokenizer, out, false, UnaryOperator.identity());
    }

    /**
     * As {@link #convert(Path, String, Path, Path)}; {@code f32}: every tensor F32 (--outtype f32); {@code editKeys} changes the
     * architecture's keys before they are written (values Integer: u32, Float: f32, String, Boolean, int[]: an i32 array).
     */
    public static Path convert(Path hf, String arch, Path tokenizer, Path out, boolean f32, UnaryOperator<Map<String, Object>> editKeys) {
        return convert(hf, arch, tokenizer, out, f32, editKeys, UnaryOperator.identity());
    }

    /** As {@link #convert(Path, String, Path, Path, boolean, UnaryOperator)}, each tensor stored under {@code rename} of its GGUF name. */
    public static Path convert(Path hf, String arch, Path tokenizer, Path out, boolean f32, UnaryOperator<Map<String, Object>> editKeys,
                               UnaryOperator<String> rename) {
        JsonNode c = config(hf);
        GgufBuilder b = new GgufBuilder().string("general.architecture", arch);
        Map<String, Object> keys = editKeys.apply(keys(c, arch));
        keys.forEach((k, v) -> put(b, arch + "." + k, v));
        copyTokenizer(tokenizer, b);
        if (arch.equals("phi2")) b.bool("tokenizer.ggml.add_bos_token", false); // Phi2Model.set_gguf_parameters
        int heads = c.path("num_attention_heads").asInt(), kvHeads = c.path("num_key_value_heads").asInt(heads);
        boolean llama = LLAMA_MODELS.contains(arch), gemma = arch.startsWith("gemma");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        try (Checkpoint ck = Checkpoint.open(hf)) {
            for (String name : new TreeSet<>(ck.names())) {
                if (arch.equals("gemma2") && name.equals("lm_head.weight")) continue; // Gemma2Model.filter_tensors
                Tensor t = ck.tensor(name);
                long[] shape = t.shape().clone();
                if (arch.equals("gemma3") && name.endsWith("embed_tokens.weight")) shape[0] = Math.min(shape[0], vocabOfTokenizer(hf)); // OOV rows removed
                boolean asF32 = f32 || shape.length != 2 || t.dtype() != DType.BF16 || name.endsWith("norm.weight");
                byte[] bytes = asF32 ? f32Bytes(t, gemma && name.endsWith("norm.weight") ? 1f : 0f, shape) : raw(t, shape);
                // LlamaModel.modify_tensors: permute(q_proj, n_head, n_head), permute(k_proj, n_head, n_kv_head), weights and biases
                if (llama && name.contains("self_attn.q_proj.")) bytes = permute(bytes, heads, shape[0]);
                if (llama && name.contains("self_attn.k_proj.")) bytes = permute(bytes, kvHeads, shape[0]);
                long[] ne = shape.length == 2 ? new long[]{shape[1], shape[0]} : shape; // GGUF lists ne[0] (columns) first
                b.tensor(rename.apply(ggufName(name, gemma)), asF32 ? GgmlType.F32 : GgmlType.BF16, data.size(), ne);
                data.writeBytes(bytes);
                while (data.size() % GgufFile.DEFAULT_ALIGNMENT != 0) data.write(0);
            }
        }
        return b.data(data.toByteArray()).write(out);
    }

    /** The keys (without the architecture prefix) the converter's set_gguf_parameters writes for {@code arch}. */
    private static Map<String, Object> keys(JsonNode c, String arch) {
        Map<String, Object> k = new LinkedHashMap<>();
        int hidden = c.path("hidden_size").asInt(), heads = c.path("num_attention_heads").asInt(), kvHeads = c.path("num_key_value_heads").asInt(heads);
        k.put("context_length", c.path("max_position_embeddings").asInt());
        k.put("embedding_length", hidden);
        k.put("feed_forward_length", c.path("intermediate_size").asInt());
        k.put("block_count", c.path("num_hidden_layers").asInt());
        k.put("attention.head_count", heads);
        k.put("attention.head_count_kv", kvHeads);
        switch (arch) {
            case "gemma2" -> { // Gemma2Model.set_gguf_parameters: no rope keys
                k.put("attention.layer_norm_rms_epsilon", (float) c.path("rms_norm_eps").asDouble());
                k.put("attention.key_length", c.path("head_dim").asInt());
                k.put("attention.value_length", c.path("head_dim").asInt());
                k.put("attn_logit_softcapping", (float) c.path("attn_logit_softcapping").asDouble());
                k.put("final_logit_softcapping", (float) c.path("final_logit_softcapping").asDouble());
                k.put("attention.sliding_window", c.path("sliding_window").asInt());
            }
            case "gemma3" -> { // TextModel.set_gguf_parameters, then Gemma3Model's
                JsonNode scaling = c.path("rope_scaling");
                if (scaling.path("rope_type").asText(scaling.path("type").asText()).equals("linear") && scaling.has("factor")) {
                    k.put("rope.scaling.type", "linear");
                    k.put("rope.scaling.factor", (float) scaling.path("factor").asDouble());
                }
                k.put("rope.freq_base", (float) c.path("rope_theta").asDouble(1e6));
                if (c.has("rope_local_base_freq")) k.put("rope.freq_base_swa", (float) c.path("rope_local_base_freq").asDouble());
                k.put("attention.layer_norm_rms_epsilon", (float) c.path("rms_norm_eps").asDouble(1e-6));
                k.put("attention.key_length", c.path("head_dim").asInt(256));
                k.put("attention.value_length", c.path("head_dim").asInt(256));
                if (c.path("final_logit_softcapping").asDouble(0) != 0) k.put("final_logit_softcapping", (float) c.path("final_logit_softcapping").asDouble());
                if (c.path("sliding_window_pattern").asInt(-1) != 1) k.put("attention.sliding_window", c.path("sliding_window").asInt());
            }
            case "phi3" -> { // Phi3MiniModel.set_gguf_parameters
                k.put("rope.scaling.original_context_length", c.path("original_max_position_embeddings").asInt());
                k.put("attention.layer_norm_rms_epsilon", (float) c.path("rms_norm_eps").asDouble());
                k.put("rope.dimension_count", (int) (c.path("partial_rotary_factor").asDouble(1.0) * hidden) / heads);
                k.put("rope.freq_base", (float) c.path("rope_theta").asDouble());
                k.put("attention.sliding_window", c.path("sliding_window").asInt(0)); // 0 for null
            }
            case "phi2" -> { // Phi2Model.set_gguf_parameters (head_count_kv and feed_forward_length: see the class comment)
                k.put("attention.layer_norm_epsilon", (float) c.path("layer_norm_eps").asDouble());
                k.put("rope.dimension_count", (int) (c.path("partial_rotary_factor").asDouble() * hidden) / heads);
            }
            default -> { // TextModel.set_gguf_parameters; LlamaModel adds vocab_size and rope.dimension_count
                k.put("rope.freq_base", (float) c.path("rope_theta").asDouble());
                k.put("attention.layer_norm_rms_epsilon", (float) c.path("rms_norm_eps").asDouble());
                if (c.has("head_dim")) {
                    k.put("attention.key_length", c.path("head_dim").asInt());
                    k.put("attention.value_length", c.path("head_dim").asInt());
                }
                if (LLAMA_MODELS.contains(arch)) {
                    k.put("vocab_size", c.path("vocab_size").asInt());
                    k.put("rope.dimension_count", c.path("head_dim").asInt(hidden / heads));
                }
            }
        }
        return k;
    }

    private static void put(GgufBuilder b, String key, Object v) {
        switch (v) {
            case Integer i -> b.u32(key, i);
            case Float f -> b.f32(key, f);
            case String s -> b.string(key, s);
            case Boolean x -> b.bool(key, x);
            case int[] a -> b.intArray(key, a);
            default -> throw new IllegalArgumentException(key + ": " + v);
        }
    }

    /** Gemma3Model.modify_tensors: the tokenizer's real size, len(model.vocab) + len(added_tokens) of tokenizer.json. */
    private static long vocabOfTokenizer(Path hf) {
        try {
            JsonNode t = new ObjectMapper().readTree(hf.resolve("tokenizer.json").toFile());
            return t.path("model").path("vocab").size() + t.path("added_tokens").size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
    static String ggufName(String hf, boolean gemma) {
        String suffix = hf.substring(hf.lastIndexOf('.')), stem = hf.substring(0, hf.lastIndexOf('.'));
        if (TOP.containsKey(stem)) return TOP.get(stem) + suffix;
        String[] p = stem.split("\\.", 4); // model, layers, N, part
        String part = gemma && GEMMA_PARTS.containsKey(p[3]) ? GEMMA_PARTS.get(p[3]) : LAYER_PARTS.get(p[3]);
        if (part == null) throw new IllegalArgumentException("no GGUF name for " + hf);
        return "blk." + p[2] + "." + part + suffix;
    }

    /** The first {@code shape[0]} rows as stored (BF16). */
    private static byte[] raw(Tensor t, long[] shape) {
        long bytes = t.segment().byteSize() / t.shape()[0] * shape[0];
        return t.segment().asSlice(0, bytes).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    /** The first {@code shape[0]} rows widened to F32, plus {@code shift} in float32 (Gemma's norms: w + 1 after the converter's float32 cast). */
    private static byte[] f32Bytes(Tensor t, float shift, long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(4 * n)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) out.putFloat(t.get(i) + shift);
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

    /**
     * {@code hf} as llama.cpp can express it, written to {@code out}: every tensor widened to F32 (so transformers' embedding scale
     * is the float32 sqrt(hidden) llama.cpp uses), torch_dtype float32, and for Gemma query_pre_attn_scalar = head_dim.
     */
    public static Path expressible(Path hf, Path out) {
        try {
        Files.createDirectories(out);
        ObjectNode c = (ObjectNode) new ObjectMapper().readTree(hf.resolve("config.json").toFile());
        c.put("torch_dtype", "float32");
        if (c.path("model_type").asText().startsWith("gemma")) c.put("query_pre_attn_scalar", c.path("head_dim").asInt());
        new ObjectMapper().writeValue(out.resolve("config.json").toFile(), c);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            if (Files.exists(hf.resolve(f))) Files.copy(hf.resolve(f), out.resolve(f));
        }
        Map<String, Tensor> f32 = new LinkedHashMap<>();
        try (Checkpoint ck = Checkpoint.open(hf)) {
            for (String name : ck.names()) {
                Tensor t = ck.tensor(name);
                f32.put(name, Tensor.of(DType.F32, MemorySegment.ofArray(t.toFloatArray()), t.shape()));
            }
            SafetensorsWriter.write(out.resolve("model.safetensors"), f32, null);
        }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

}
