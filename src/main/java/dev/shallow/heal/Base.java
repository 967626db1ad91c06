package dev.shallow.heal;

import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;

/**
 * The frozen model training adapts: embeddings, decoder layers by their original index (null for
 * a layer not loaded), final norm and head ({@code head == embed} when the embeddings are tied).
 */
public record Base(ModelConfig config, Weight embed, FrozenLayer[] layers, float[] finalNorm, Weight head) {

    /** Every layer as stored in the checkpoint (views of the mapped files: nothing is copied). */
    public static Base dense(Model model) {
        FrozenLayer[] layers = new FrozenLayer[model.config().numLayers()];
        for (int l = 0; l < layers.length; l++) layers[l] = FrozenLayer.dense(model.layer(l));
        return of(model, layers);
    }

    /**
     * QLoRA's base: the projections of the {@code kept} layers quantized to NF4 with double
     * quantization; embeddings, norms, biases and the head as stored; other layers not loaded.
     */
    public static Base nf4(Model model, int[] kept) {
        FrozenLayer[] layers = new FrozenLayer[model.config().numLayers()];
        for (int l : kept) layers[l] = FrozenLayer.nf4(model.layer(l));
        return of(model, layers);
    }

    private static Base of(Model model, FrozenLayer[] layers) {
        DenseWeight embed = new DenseWeight(model.embed());
        DenseWeight head = model.lmHead() == model.embed() ? embed : new DenseWeight(model.lmHead());
        return new Base(model.config(), embed, layers, model.finalNorm().scale(), head);
    }

    public boolean tied() {
        return head == embed;
    }
}
