package dev.shallow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.io.SafetensorsWriter.Entry;
import dev.shallow.tensor.DType;

import java.util.ArrayList;
import java.util.List;

/** The dimensions of a Llama decoder (untied lm_head, BF16 weights): enough to write its config.json and tensors. */
public record ModelShape(String name, int layers, int hidden, int intermediate, int heads, int kvHeads, int vocab,
                         int maxPositions, double ropeTheta, double rmsNormEps) {

    /** TinyLlama-1.1B (TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T): 1.1B parameters, 2.2 GB in BF16. */
    public static final ModelShape TINYLLAMA_1_1B = new ModelShape("tinyllama-1.1b", 22, 2048, 5632, 32, 4, 32000, 2048, 10000.0, 1e-5);
    /** Llama-2-7B (meta-llama/Llama-2-7b-hf): 6.7B parameters, 13.5 GB in BF16. */
    public static final ModelShape LLAMA2_7B = new ModelShape("llama2-7b", 32, 4096, 11008, 32, 32, 32000, 4096, 10000.0, 1e-5);

    public ModelShape {
        if (layers <= 0 || hidden <= 0 || intermediate <= 0 || heads <= 0 || kvHeads <= 0 || vocab <= 0 || maxPositions <= 0) {
            throw new IllegalArgumentException("model shape " + name + ": every dimension must be positive");
        }
        if (hidden % heads != 0 || heads % kvHeads != 0 || (hidden / heads) % 2 != 0) {
            throw new IllegalArgumentException("model shape " + name + ": hidden " + hidden + ", heads " + heads + " and kv heads "
                    + kvHeads + " need hidden = heads * even head_dim and heads a multiple of kv heads");
        }
    }

    public static List<ModelShape> known() {
        return List.of(TINYLLAMA_1_1B, LLAMA2_7B);
    }

    public int headDim() {
        return hidden / heads;
    }

    public int kvDim() {
        return kvHeads * headDim();
    }

    /** Every tensor of the checkpoint, with Hugging Face Llama names, all BF16. */
    public List<Entry> tensors() {
        List<Entry> out = new ArrayList<>();
        out.add(matrix("model.embed_tokens.weight", vocab, hidden));
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            out.add(vector(p + "input_layernorm.weight", hidden));
            out.add(matrix(p + "self_attn.q_proj.weight", hidden, hidden));
            out.add(matrix(p + "self_attn.k_proj.weight", kvDim(), hidden));
            out.add(matrix(p + "self_attn.v_proj.weight", kvDim(), hidden));
            out.add(matrix(p + "self_attn.o_proj.weight", hidden, hidden));
            out.add(vector(p + "post_attention_layernorm.weight", hidden));
            out.add(matrix(p + "mlp.gate_proj.weight", intermediate, hidden));
            out.add(matrix(p + "mlp.up_proj.weight", intermediate, hidden));
            out.add(matrix(p + "mlp.down_proj.weight", hidden, intermediate));
        }
        out.add(vector("model.norm.weight", hidden));
        out.add(matrix("lm_head.weight", vocab, hidden));
        return out;
    }

    /** A Hugging Face config.json (LlamaForCausalLM) for this shape. */
    public ObjectNode configJson() {
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        c.put("hidden_size", hidden);
        c.put("intermediate_size", intermediate);
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", kvHeads);
        c.put("vocab_size", vocab);
        c.put("max_position_embeddings", maxPositions);
        c.put("rms_norm_eps", rmsNormEps);
        c.put("rope_theta", ropeTheta);
        c.put("hidden_act", "silu");
        c.put("attention_bias", false);
        c.put("tie_word_embeddings", false);
        c.put("torch_dtype", "bfloat16");
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        return c;
    }

    private static Entry matrix(String name, int rows, int cols) {
        return new Entry(name, DType.BF16, new long[]{rows, cols});
    }

    private static Entry vector(String name, int n) {
        return new Entry(name, DType.BF16, new long[]{n});
    }
}
