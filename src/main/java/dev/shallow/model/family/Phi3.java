package dev.shallow.model.family;

import dev.shallow.model.ConfigJson;
import dev.shallow.model.GgufKeys;
import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;

/**
 * Phi-3 / Phi-4-mini (Phi3ForCausalLM): Llama's layer with fused qkv_proj and gate_up_proj, partial rotary
 * (partial_rotary_factor, 1.0 by default), longrope scaling, and a sliding window on every layer when set.
 * <p>
 * GGUF ({@code phi3}), as llama.cpp v0.4.0 reads it (src/models/phi3.cpp load_arch_hparams, load_arch_tensors, graph):
 * <table>
 * <tr><th>setting</th><th>llama.cpp</th></tr>
 * <tr><td>q/k/v</td><td>blk.N.attn_qkv (rows [q | k | v], as qkv_proj; optional bias), or attn_q/k/v</td></tr>
 * <tr><td>MLP</td><td>blk.N.ffn_up holds [gate | up] (2 x feed_forward_length rows, gate_up_proj): swiglu of its halves</td></tr>
 * <tr><td>RoPE</td><td>NEOX over rope.dimension_count dims (the converter writes int(partial_rotary_factor x hidden) / heads),
 * q/k not permuted; longrope's rope_factors_long/short are refused (llama.cpp picks them by the context size it is given, not
 * the sequence length)</td></tr>
 * <tr><td>sliding window</td><td>disabled: attention.sliding_window is read and then dropped (PR 13676), every layer global</td></tr>
 * <tr><td>biases</td><td>none but the optional q/k/v ones: an attn_output, MLP or output bias is refused</td></tr>
 * <tr><td>output</td><td>output.weight when stored, else token_embd</td></tr>
 * </table>
 */
public final class Phi3 extends Family {
    public Phi3() {
        super("phi3", "phi3", java.util.List.of("phi3"));
    }

    @Override
    public TensorNames names() {
        return TensorNames.PHI3;
    }

    @Override
    public ModelConfig read(ConfigJson j) {
        ModelConfig.Builder b = Common.base(j, this, "rms_norm_eps", 1e-5, false, 0);
        Common.activation(j, "hidden_act", "silu", b);
        int rotary = (int) (b.headDim * j.fraction("partial_rotary_factor", 1.0)); // int(head_dim * factor), as HF
        int window = Common.window(j, 0);
        return b.layers(Common.uniform(b.numLayers, new LayerType(window, Common.rope(j, 10000, rotary)))).build();
    }

    /** llama.cpp's phi3: see the table above. */
    @Override
    public ModelConfig readGguf(GgufKeys k) {
        ModelConfig.Builder b = GgufCommon.base(k, this);
        b.qkvBias = GgufCommon.qkvBias(k);
        for (String part : new String[]{TensorNames.GGUF.o(), TensorNames.GGUF.up(), TensorNames.GGUF.down(), TensorNames.GGUF.head()}) {
            String name = part.equals(TensorNames.GGUF.head()) ? part + ".bias" : TensorNames.GGUF.layer(0, part, "bias");
            GgufCommon.refuseTensor(k, name, "a bias");
        }
        b.outputBias = b.mlpBias = false;
        for (String factors : new String[]{"rope_factors_long.weight", "rope_factors_short.weight"}) {
            if (k.hasTensor(factors)) {
                throw k.fail("tensor '" + factors + "' (longrope) is not supported yet: llama.cpp picks long or short factors by its context size, not the sequence length");
            }
        }
        return b.layers(Common.uniform(b.numLayers, new LayerType(0, GgufCommon.rope(k, b.headDim)))).build(); // no window: see above
    }

    @Override
    public TensorNames ggufNames(java.util.function.Predicate<String> stored) {
        return GgufCommon.names(stored, TensorNames.GGUF.up());
    }

    @Override
    protected String hfClass() {
        return "Phi3ForCausalLM";
    }

    /** The common keys (rope.dimension_count: the partial rotary dims); longrope is refused there (see readGguf). */
    @Override
    public void writeGgufKeys(ModelConfig c, dev.shallow.io.GgufWriter.Metadata m) {
        if (c.outputBias() || c.mlpBias()) throw new IllegalArgumentException("an o_proj or MLP bias: llama.cpp's phi3 has none");
        GgufCommon.writeKeys(this, c, m);
    }

    /** qkv_proj as attn_qkv and gate_up_proj as ffn_up, rows as they are ([q | k | v], [gate | up]: llama.cpp's phi3 loader). */
    @Override
    public java.util.List<GgufTensor> ggufTensors(ModelConfig c, TensorNames hf, java.util.function.Predicate<String> stored, int[] sourceLayers) {
        return GgufCommon.tensors(this, c, hf, TensorNames.GGUF.fused(GgufCommon.FUSED_QKV, TensorNames.GGUF.up()), stored, sourceLayers);
    }

    /** Phi3Config: partial_rotary_factor for the rotated dims, no window (llama.cpp's phi3 has none). */
    @Override
    public com.fasterxml.jackson.databind.node.ObjectNode hfConfig(ModelConfig c) {
        com.fasterxml.jackson.databind.node.ObjectNode o = GgufCommon.hfConfig(this, c);
        o.remove(java.util.List.of("attention_bias", "mlp_bias", "use_sliding_window"));
        return GgufCommon.partialRotary(o, c);
    }
}
