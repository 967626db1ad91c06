package dev.shallow.analysis;

import dev.shallow.model.Model;
import dev.shallow.transformer.KVCache;
import dev.shallow.transformer.SubBlocks;
import dev.shallow.transformer.Transformer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Calibration losses of many variants of a model that each change one layer l (a head zeroed, a sub-block removed),
 * with the prefix reused (ShortGPT's head ablation costs layers x heads passes otherwise): the stream entering layer l
 * is the same for every variant of l, so each batch runs the base model once, layer by layer, and at each layer l
 * every variant of l continues from a copy of that stream through layers l..L-1 only. Memory: one batch's base
 * stream, one variant's stream and one set of caches, whatever the number of variants. Each variant's loss is
 * bit-identical to a whole forward of that variant ({@link CalibrationLoss#of}): the same float operations per token.
 * <p>
 * The job's result, losses[l][v], is the loss of the model running {@code base}'s layers and sub-blocks, but variant v of
 * layer l (which agrees with {@code base} before layer l) from layer l on; null for a layer that does not run.
 *
 * @param layers   the layers that run (original indices, increasing)
 * @param variants per run layer (by its position in {@code layers}), its variants
 */
record PrefixAblation(int[] layers, SubBlocks base, List<List<SubBlocks>> variants, int batchSequences) implements CalibrationJob<Losses> {
    /** The job of {@code variants.apply(l)} for each run layer l. */
    static PrefixAblation of(int[] layers, SubBlocks base, IntFunction<List<SubBlocks>> variants, int batchSequences) {
        List<List<SubBlocks>> all = new ArrayList<>();
        for (int l : layers) all.add(List.copyOf(variants.apply(l)));
        return new PrefixAblation(layers.clone(), base, all, batchSequences);
    }

    /** Token-layers run, in tokens (the progress this job reports). */
    @Override
    public long work(long tokens) {
        long layerRuns = 0;
        for (int i = 0; i < layers.length; i++) layerRuns += (long) variants.get(i).size() * (layers.length - i) + 1;
        return layerRuns * tokens / layers.length;
    }

    @Override
    public Losses run(Model model, SampleRange range, Progress progress) {
        int numLayers = model.config().numLayers(), vocab = model.config().vocabSize();
        Transformer baseTf = new Transformer(model, layers, base);
        Transformer[][] tfs = new Transformer[layers.length][];
        CalibrationLoss[][] losses = new CalibrationLoss[numLayers][];
        for (int i = 0; i < layers.length; i++) {
            List<SubBlocks> vs = variants.get(i);
            tfs[i] = new Transformer[vs.size()];
            losses[layers[i]] = new CalibrationLoss[vs.size()];
            for (int v = 0; v < vs.size(); v++) {
                tfs[i][v] = new Transformer(model, layers, vs.get(v));
                losses[layers[i]][v] = new CalibrationLoss();
            }
        }
        long tokenLayers = 0, total = work(range.tokens());
        Transformer.Workspace ws = new Transformer.Workspace();
        for (int[][] batch : Batches.of(range.sequences(), batchSequences)) {
            KVCache[] baseCaches = caches(baseTf, batch), variantCaches = caches(baseTf, batch);
            Transformer.Pass pass = baseTf.begin(batch, baseCaches, null);
            long tokens = Batches.tokens(batch);
            for (int i = 0; i < layers.length; i++) {
                for (int v = 0; v < tfs[i].length; v++) {
                    Transformer.Pass variant = tfs[i][v].resume(pass, variantCaches);
                    for (int j = i; j < layers.length; j++) variant.layer(layers[j], ws);
                    losses[layers[i]][v].add(variant.finish(true), batch, vocab);
                    progress.update("prefix", (tokenLayers += tokens * (layers.length - i)) / layers.length, total);
                }
                pass.layer(layers[i], ws);
                for (KVCache c : baseCaches) c.dropLayer(layers[i]);
                progress.update("prefix", (tokenLayers += tokens) / layers.length, total);
            }
        }
        return new Losses(losses);
    }

    private static KVCache[] caches(Transformer tf, int[][] batch) {
        KVCache[] caches = new KVCache[batch.length];
        for (int b = 0; b < batch.length; b++) caches[b] = tf.newCache(batch[b].length);
        return caches;
    }
}
