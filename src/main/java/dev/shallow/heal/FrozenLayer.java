package dev.shallow.heal;

import dev.shallow.ShallowException;
import dev.shallow.model.LayerWeights;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.NormWeights;
import dev.shallow.model.family.TensorNames;

import dev.shallow.tensor.Tensor;

import java.util.List;

/**
 * The frozen weights of one decoder layer as training reads them: its norms by {@link NormSite} (null where the
 * family has none; Gemma's scales hold 1 + w) and, per linear module of the family ({@link LinearModule#of}),
 * its weight (a fused module's whole tensor) and bias (null when it has none).
 */
public record FrozenLayer(NormWeights[] norms, Weight[] weights, float[][] biases) {

    NormWeights norm(NormSite site) {
        return norms[site.ordinal()];
    }

    /** Layer {@code l} of the model, its tensors read through {@code tensors}. */
    static FrozenLayer load(Model model, List<LinearModule> modules, int l, BaseTensors tensors) {
        ModelConfig c = model.config();
        TensorNames names = model.names();
        LayerWeights w = model.layer(l);
        NormWeights[] norms = new NormWeights[NormSite.values().length];
        for (NormSite s : NormSite.values()) {
            if (!s.present(c)) continue;
            NormWeights n = s.of(w);
            norms[s.ordinal()] = new NormWeights(tensors.vector(names.layer(l, s.path(names), "weight"), n.scale()),
                    tensors.vector(names.layer(l, s.path(names), "bias"), n.bias()));
        }
        Weight[] weights = new Weight[modules.size()];
        float[][] biases = new float[modules.size()][];
        for (int i = 0; i < weights.length; i++) {
            LinearModule m = modules.get(i);
            String name = names.layer(l, m.path(), "weight");
            weights[i] = tensors.projection(name, weight(model, m, l, w));
            biases[i] = tensors.vector(names.layer(l, m.path(), "bias"), bias(m, w));
        }
        return new FrozenLayer(norms, weights, biases);
    }

    /**
     * The module's whole weight: the checkpoint's tensor (a fused module's too); for a GGUF model the layer's tensor as
     * the model reads it (q/k rows in Hugging Face order, any block format), a fused module refused.
     */
    private static Tensor weight(Model model, LinearModule m, int l, LayerWeights w) {
        if (!model.isGguf()) return model.checkpoint().tensor(model.names().layer(l, m.path(), "weight"));
        if (m.parts().size() != 1) {
            throw ShallowException.at(model.dir(), "healing a GGUF model with the fused " + m.path() + " is not implemented yet; "
                    + "convert it to a Hugging Face directory and heal that");
        }
        return switch (m.parts().getFirst()) {
            case Q -> w.wq();
            case K -> w.wk();
            case V -> w.wv();
            case O -> w.wo();
            case GATE -> w.wGate();
            case UP -> w.wUp();
            case DOWN -> w.wDown();
        };
    }

    /** The module's bias: its parts' biases stacked as its rows are, or null when it has none. */
    private static float[] bias(LinearModule m, LayerWeights w) {
        float[][] parts = m.parts().stream().map(p -> switch (p) {
            case Q -> w.bq();
            case K -> w.bk();
            case V -> w.bv();
            case O -> w.bo();
            case GATE -> w.bGate();
            case UP -> w.bUp();
            case DOWN -> w.bDown();
        }).toArray(float[][]::new);
        if (parts[0] == null) return null;
        float[] b = new float[m.out()];
        int off = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, b, off, p.length);
            off += p.length;
        }
        return b;
    }
}
