package dev.shallow.analysis;

import dev.shallow.model.Model;
import dev.shallow.transformer.KVCache;
import dev.shallow.transformer.SubBlocks;
import dev.shallow.transformer.Transformer;

import java.util.List;
import java.util.function.IntFunction;

/**
 * Calibration losses of many variants of a model that each change one layer l (a head zeroed, a sub-block removed),
 * with the prefix reused (ShortGPT's head ablation costs layers x heads passes otherwise): the stream entering layer l
 * is the same for every variant of l, so each batch runs the base model once, layer by layer, and at each layer l
 * every variant of l continues from a copy of that stream through layers l..L-1 only. Memory: one batch's base
 * stream, one variant's stream and one set of caches, whatever the number of variants. Each variant's loss is
 * bit-identical to a whole forward of that variant ({@link CalibrationLoss#of}): the same float operations per token.
 */
final class PrefixAblation {
    private PrefixAblation() {
    }

    /**
     * losses[l][v] = calibration loss of the model running {@code base}'s layers and sub-blocks, but {@code variants.apply(l).get(v)}
     * (which must agree with {@code base} before layer l) from layer l on; progress counts token-layers run, in tokens.
     */
    static double[][] losses(Model model, int[] layers, SubBlocks base, IntFunction<List<SubBlocks>> variants, int[][] calibration,
                             int batchSequences, Progress progress, String phase) {
        int numLayers = model.config().numLayers(), vocab = model.config().vocabSize();
        Transformer baseTf = new Transformer(model, layers, base);
        Transformer[][] tfs = new Transformer[layers.length][];
        long layerRuns = 0;
        for (int i = 0; i < layers.length; i++) {
            List<SubBlocks> vs = variants.apply(layers[i]);
            tfs[i] = new Transformer[vs.size()];
            for (int v = 0; v < vs.size(); v++) tfs[i][v] = new Transformer(model, layers, vs.get(v));
            layerRuns += (long) vs.size() * (layers.length - i) + 1;
        }
        CalibrationLoss[][] losses = new CalibrationLoss[numLayers][];
        for (int i = 0; i < layers.length; i++) {
            losses[layers[i]] = new CalibrationLoss[tfs[i].length];
            for (int v = 0; v < tfs[i].length; v++) losses[layers[i]][v] = new CalibrationLoss();
        }
        long tokenLayers = 0, total = layerRuns * Batches.tokens(calibration);
        Transformer.Workspace ws = new Transformer.Workspace();
        for (int[][] batch : Batches.of(calibration, batchSequences)) {
            KVCache[] baseCaches = caches(baseTf, batch), variantCaches = caches(baseTf, batch);
            Transformer.Pass pass = baseTf.begin(batch, baseCaches, null);
            long tokens = Batches.tokens(batch);
            for (int i = 0; i < layers.length; i++) {
                for (int v = 0; v < tfs[i].length; v++) {
                    Transformer.Pass variant = tfs[i][v].resume(pass, variantCaches);
                    for (int j = i; j < layers.length; j++) variant.layer(layers[j], ws);
                    losses[layers[i]][v].add(variant.finish(true), batch, vocab);
                    progress.update(phase, (tokenLayers += tokens * (layers.length - i)) / layers.length, total / layers.length);
                }
                pass.layer(layers[i], ws);
                for (KVCache c : baseCaches) c.dropLayer(layers[i]);
                progress.update(phase, (tokenLayers += tokens) / layers.length, total / layers.length);
            }
        }
        double[][] out = new double[numLayers][];
        for (int l = 0; l < numLayers; l++) {
            if (losses[l] == null) continue;
            out[l] = new double[losses[l].length];
            for (int v = 0; v < out[l].length; v++) out[l][v] = losses[l][v].mean();
        }
        return out;
    }

    private static KVCache[] caches(Transformer tf, int[][] batch) {
        KVCache[] caches = new KVCache[batch.length];
        for (int b = 0; b < batch.length; b++) caches[b] = tf.newCache(batch[b].length);
        return caches;
    }
}
