package dev.shallow.model.family;

import dev.shallow.model.Activation;
import dev.shallow.model.ConfigJson;
import dev.shallow.model.GgufKeys;
import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.NormKind;

/**
 * Phi-1/1.5/2 (PhiForCausalLM): one LayerNorm (with bias) per layer feeding attention and MLP in parallel,
 * x + dense(attn(h)) + fc2(gelu_new(fc1(h))); biases on every projection and the head; partial rotary
 * (partial_rotary_factor, 0.5 by default); optional qk_layernorm.
 * <p>
 * GGUF ({@code phi2}), as llama.cpp v0.4.0 reads it (src/models/phi2.cpp load_arch_hparams, load_arch_tensors, graph):
 * <table>
 * <tr><th>setting</th><th>llama.cpp</th></tr>
 * <tr><td>norms</td><td>LayerNorm with bias (attn_norm, output_norm), eps attention.layer_norm_epsilon (required)</td></tr>
 * <tr><td>block</td><td>parallel: x + attn_output(attn(h)) + ffn_down(gelu(ffn_up(h))), h = attn_norm(x); ggml_gelu is the tanh
 * approximation (gelu_new)</td></tr>
 * <tr><td>q/k/v</td><td>attn_qkv (rows [q | k | v]) or attn_q/k/v, biases optional; no q/k layernorm (a qk_layernorm checkpoint
 * does not convert: attn_q_norm is refused)</td></tr>
 * <tr><td>biases</td><td>attn_output, ffn_up, ffn_down and output biases required</td></tr>
 * <tr><td>RoPE</td><td>NEOX over rope.dimension_count dims (the converter writes int(partial_rotary_factor x hidden) / heads),
 * rope.freq_base (10000; the converter writes none), q/k not permuted</td></tr>
 * <tr><td>output</td><td>output.weight required (never tied)</td></tr>
 * <tr><td>sizes</td><td>head_count_kv and feed_forward_length are read; the converter writes heads and 4 x hidden (true of the
 * released Phi-1/1.5/2, not of every PhiForCausalLM)</td></tr>
 * </table>
 */
public final class Phi extends Family {
    public Phi() {
        super("phi", "phi2", java.util.List.of("phi"));
    }

    @Override
    public TensorNames names() {
        return TensorNames.PHI;
    }

    @Override
    public ModelConfig read(ConfigJson j) {
        ModelConfig.Builder b = Common.base(j, this, "layer_norm_eps", 1e-5, false, 0);
        Common.activation(j, "hidden_act", "gelu_new", b);
        b.norm = NormKind.LAYER;
        b.parallelBlock = true;
        b.gatedMlp = false;
        b.qkvBias = b.outputBias = b.mlpBias = b.headBias = true;
        b.qkNorm = j.bool("qk_layernorm", false);
        int rotary = (int) (b.headDim * j.fraction("partial_rotary_factor", 0.5)); // int(head_dim * factor), as HF
        return b.layers(Common.uniform(b.numLayers, new LayerType(0, Common.rope(j, 10000, rotary)))).build();
    }

    /** llama.cpp's phi2: see the table above. */
    @Override
    public ModelConfig readGguf(GgufKeys k) {
        ModelConfig.Builder b = GgufCommon.base(k, this, "attention.layer_norm_epsilon");
        b.norm = NormKind.LAYER;
        b.activation = Activation.GELU_TANH;
        b.parallelBlock = true;
        b.gatedMlp = false;
        b.qkvBias = GgufCommon.qkvBias(k);
        b.outputBias = b.mlpBias = b.headBias = true; // required tensors of llama.cpp's phi2
        b.tieWordEmbeddings = false; // output.weight is required
        GgufCommon.refuseTensor(k, TensorNames.GGUF.layer(0, TensorNames.GGUF.qNorm(), "weight"), "q layernorm");
        return b.layers(Common.uniform(b.numLayers, new LayerType(0, GgufCommon.rope(k, b.headDim)))).build();
    }

    @Override
    public TensorNames ggufNames(java.util.function.Predicate<String> stored) {
        return GgufCommon.names(stored, null);
    }

    @Override
    protected String hfClass() {
        return "PhiForCausalLM";
    }

    /**
     * The common keys with the true head_count_kv and feed_forward_length (convert_hf_to_gguf.py Phi2Model writes heads and
     * 4 x hidden, true only of the released models; llama.cpp reads both) and LayerNorm's attention.layer_norm_epsilon.
     */
    @Override
    public void writeGgufKeys(ModelConfig c, dev.shallow.io.GgufWriter.Metadata m) {
        if (c.qkNorm()) throw new IllegalArgumentException("qk_layernorm true: llama.cpp's phi2 has no q/k layernorm");
        GgufCommon.writeKeys(this, c, m);
    }

    /** PhiConfig: LayerNorm eps, gelu_new, partial_rotary_factor, no q/k layernorm. */
    @Override
    public com.fasterxml.jackson.databind.node.ObjectNode hfConfig(ModelConfig c) {
        com.fasterxml.jackson.databind.node.ObjectNode o = GgufCommon.hfConfig(this, c);
        o.remove(java.util.List.of("rms_norm_eps", "attention_bias", "mlp_bias", "use_sliding_window"));
        o.put("layer_norm_eps", c.normEps()).put("hidden_act", "gelu_new").put("qk_layernorm", false);
        return GgufCommon.partialRotary(o, c);
    }

    /**
     * A file holding q/k/v fused as {@code blk.N.attn_qkv} (rows [q | k | v], llama.cpp's phi2 loader takes it as well as
     * attn_q/k/v: older converters wrote it) splits back into q_proj, k_proj, v_proj (weights and biases).
     */
    @Override
    public java.util.List<GgufTensor> ggufFileTensors(ModelConfig c, java.util.function.Predicate<String> ggufStored) {
        java.util.List<GgufTensor> plans = super.ggufFileTensors(c, ggufStored);
        TensorNames g = TensorNames.GGUF, hf = names();
        if (!ggufStored.test(g.layer(0, GgufCommon.FUSED_QKV, "weight"))) return plans;
        java.util.List<String> parts = java.util.List.of(g.q(), g.k(), g.v());
        java.util.List<GgufTensor> out = new java.util.ArrayList<>();
        for (GgufTensor p : plans) {
            if (parts.stream().noneMatch(part -> p.name().contains("." + part + "."))) out.add(p);
        }
        long q = (long) c.numHeads() * c.headDim(), kv = (long) c.numKvHeads() * c.headDim();
        for (int i = 0; i < c.numLayers(); i++) {
            for (String suffix : java.util.List.of("weight", "bias")) {
                out.add(GgufTensor.stacked(g.layer(i, GgufCommon.FUSED_QKV, suffix), new long[]{q, kv, kv},
                        hf.layer(i, hf.q(), suffix), hf.layer(i, hf.k(), suffix), hf.layer(i, hf.v(), suffix)));
            }
        }
        return out;
    }
}
