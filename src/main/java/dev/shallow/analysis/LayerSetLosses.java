package dev.shallow.analysis;

import dev.shallow.model.Model;
import dev.shallow.transformer.MemoryBudget;
import dev.shallow.transformer.Transformer;

import java.util.List;

/**
 * The calibration loss of the model running each of {@code layerSets} (a whole forward pass each, one after another):
 * the single-layer ablation and the greedy removal by loss.
 *
 * @param layerSets the layers each variant runs (original indices, increasing)
 */
record LayerSetLosses(List<int[]> layerSets, int batchSequences, MemoryBudget memory) implements CalibrationJob<Losses> {
    /** One row: losses[0][v] is variant v's. */
    @Override
    public Losses run(Model model, SampleRange range, Progress progress) {
        long tokens = range.tokens(), all = work(tokens);
        CalibrationLoss[] losses = new CalibrationLoss[layerSets.size()];
        for (int v = 0; v < losses.length; v++) {
            long before = v * tokens;
            losses[v] = CalibrationLoss.measure(new Transformer(model, layerSets.get(v)), range.sequences(), batchSequences, memory,
                    (phase, done, _) -> progress.update(phase, before + done, all), "losses");
        }
        return new Losses(new CalibrationLoss[][]{losses});
    }

    @Override
    public long work(long tokens) {
        return layerSets.size() * tokens;
    }

    /** Variant v's mean loss. */
    static double[] means(Losses losses) {
        return losses.means()[0];
    }
}
