package dev.shallow.heal;

import dev.shallow.model.LayerWeights;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/** A base model whose every weight is a heap float copy a test can perturb, found by Hugging Face tensor name. */
record EditableBase(Base base, Map<String, float[]> values) {

    static EditableBase copy(Model model) {
        ModelConfig c = model.config();
        Map<String, float[]> values = new LinkedHashMap<>();
        Param embed = param(values, "model.embed_tokens.weight", model.embed());
        Param head = model.lmHead() == model.embed() ? embed : param(values, "lm_head.weight", model.lmHead());
        FrozenLayer[] layers = new FrozenLayer[c.numLayers()];
        for (int l = 0; l < layers.length; l++) {
            String p = "model.layers." + l + ".";
            LayerWeights w = model.layer(l);
            layers[l] = new FrozenLayer(vector(values, p + "input_layernorm.weight", w.attnNorm().scale()),
                    param(values, p + "self_attn.q_proj.weight", w.wq()), param(values, p + "self_attn.k_proj.weight", w.wk()),
                    param(values, p + "self_attn.v_proj.weight", w.wv()), param(values, p + "self_attn.o_proj.weight", w.wo()),
                    vector(values, p + "self_attn.q_proj.bias", w.bq()), vector(values, p + "self_attn.k_proj.bias", w.bk()),
                    vector(values, p + "self_attn.v_proj.bias", w.bv()),
                    vector(values, p + "post_attention_layernorm.weight", w.ffnNorm().scale()),
                    param(values, p + "mlp.gate_proj.weight", w.wGate()), param(values, p + "mlp.up_proj.weight", w.wUp()),
                    param(values, p + "mlp.down_proj.weight", w.wDown()));
        }
        float[] norm = vector(values, "model.norm.weight", model.finalNorm().scale());
        return new EditableBase(new Base(c, embed, layers, norm, head), values);
    }

    private static Param param(Map<String, float[]> values, String name, Tensor t) {
        Param p = new Param(name, t.rows(), t.cols());
        t.copyTo(0, p.value(), 0, p.value().length);
        values.put(name, p.value());
        return p;
    }

    private static float[] vector(Map<String, float[]> values, String name, float[] v) {
        if (v == null) return null;
        float[] copy = v.clone();
        values.put(name, copy);
        return copy;
    }
}
