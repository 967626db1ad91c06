package dev.shallow.convert;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where each Hugging Face tensor lies in a llama2.c .bin (run.c {@code memory_map_weights} order):
 * token_embedding_table, then per-array over all layers rms_att_weight, wq, wk, wv, wo,
 * rms_ffn_weight, w1 (gate), w2 (down), w3 (up); rms_final_weight; freq_cis_real/imag (skipped);
 * wcls when the classifier is not shared. All F32; matrices are [out, in] row-major like HF's.
 *
 * @param tensors   by HF name, in file order
 * @param fileBytes the size the .bin must have
 */
record Llama2cLayout(Map<String, Placement> tensors, long fileBytes) {

    /** A tensor's shape and byte offset; {@code ropeHeads} > 0 marks q/k, whose rows need the RoPE permutation. */
    record Placement(String name, long[] shape, long byteOffset, int ropeHeads) {
        long bytes() {
            long n = 4;
            for (long d : shape) n = Math.multiplyExact(n, d);
            return n;
        }
    }

    static Llama2cLayout of(Llama2cHeader h) {
        long d = h.dim(), f = h.hiddenDim(), kv = h.kvDim(), v = h.vocabSize();
        Builder b = new Builder();
        b.add("model.embed_tokens.weight", new long[]{v, d}, 0);
        b.perLayer(h, "input_layernorm.weight", new long[]{d}, 0);
        b.perLayer(h, "self_attn.q_proj.weight", new long[]{d, d}, h.heads());
        b.perLayer(h, "self_attn.k_proj.weight", new long[]{kv, d}, h.kvHeads());
        b.perLayer(h, "self_attn.v_proj.weight", new long[]{kv, d}, 0);
        b.perLayer(h, "self_attn.o_proj.weight", new long[]{d, d}, 0);
        b.perLayer(h, "post_attention_layernorm.weight", new long[]{d}, 0);
        b.perLayer(h, "mlp.gate_proj.weight", new long[]{f, d}, 0);
        b.perLayer(h, "mlp.down_proj.weight", new long[]{d, f}, 0);
        b.perLayer(h, "mlp.up_proj.weight", new long[]{f, d}, 0);
        b.add("model.norm.weight", new long[]{d}, 0);
        b.at += 4L * h.seqLen() * h.headSize(); // freq_cis_real and freq_cis_imag: seq_len * head_size / 2 floats each, unused
        if (!h.sharedClassifier()) b.add("lm_head.weight", new long[]{v, d}, 0);
        return new Llama2cLayout(b.tensors, b.at);
    }

    private static final class Builder {
        final Map<String, Placement> tensors = new LinkedHashMap<>();
        long at = Llama2cHeader.BYTES;

        /** One array holding a tensor per layer, layer after layer. */
        void perLayer(Llama2cHeader h, String suffix, long[] shape, int ropeHeads) {
            for (int l = 0; l < h.layers(); l++) add("model.layers." + l + "." + suffix, shape, ropeHeads);
        }

        void add(String name, long[] shape, int ropeHeads) {
            Placement p = new Placement(name, shape, at, ropeHeads);
            tensors.put(name, p);
            at = Math.addExact(at, p.bytes());
        }
    }
}
