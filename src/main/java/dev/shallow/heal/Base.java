package dev.shallow.heal;

import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.NormWeights;
import dev.shallow.model.family.Families;
import dev.shallow.model.family.TensorNames;
import dev.shallow.transformer.Transformer;

import java.util.List;

/**
 * The frozen model training adapts: embeddings (times {@code embedScale}: Gemma's sqrt(hidden) in the
 * embeddings' dtype), decoder layers by their original index (null for a layer not loaded), final norm, head
 * ({@code head == embed} when the embeddings are tied) and its bias (Phi-2, else null); {@code modules} are the
 * family's linear modules of a layer, {@code names} its tensor names.
 */
public record Base(ModelConfig config, TensorNames names, List<LinearModule> modules, Weight embed, float embedScale,
                   FrozenLayer[] layers, NormWeights finalNorm, Weight head, float[] headBias) {

    /** Every layer as stored in the checkpoint (views of the mapped files: nothing is copied). */
    public static Base dense(Model model) {
        return load(model, Transformer.allLayers(model.config().numLayers()), BaseTensors.DENSE);
    }

    /**
     * QLoRA's base: the linear modules of the {@code kept} layers quantized to NF4 with double
     * quantization; embeddings, norms, biases and the head as stored; other layers not loaded.
     */
    public static Base nf4(Model model, int[] kept) {
        return load(model, kept, BaseTensors.NF4);
    }

    /** The {@code kept} layers and the rest of the model, each tensor read through {@code tensors}. */
    static Base load(Model model, int[] kept, BaseTensors tensors) {
        ModelConfig c = model.config();
        // a GGUF model's adapter names the modules of its Hugging Face form (what transformers loads the GGUF as, and PEFT adapts)
        TensorNames n = model.isGguf() ? Families.of(c).names() : model.names();
        List<LinearModule> modules = LinearModule.of(c);
        FrozenLayer[] layers = new FrozenLayer[c.numLayers()];
        for (int l : kept) layers[l] = FrozenLayer.load(model, modules, l, tensors);
        Weight embed = tensors.matrix(n.embed() + ".weight", model.embed());
        Weight head = model.lmHead() == model.embed() ? embed : tensors.matrix(n.head() + ".weight", model.lmHead());
        NormWeights fn = model.finalNorm();
        NormWeights finalNorm = new NormWeights(tensors.vector(n.finalNorm() + ".weight", fn.scale()), tensors.vector(n.finalNorm() + ".bias", fn.bias()));
        return new Base(c, n, modules, embed, model.embedScale(), layers, finalNorm, head, tensors.vector(n.head() + ".bias", model.lmHeadBias()));
    }

    public boolean tied() {
        return head == embed;
    }
}
