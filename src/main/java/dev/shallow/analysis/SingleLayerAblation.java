package dev.shallow.analysis;

import dev.shallow.model.Model;
import dev.shallow.transformer.MemoryBudget;
import dev.shallow.transformer.Transformer;

import java.util.List;
import java.util.stream.IntStream;

/** ShortGPT Fig. 3: the calibration loss of the model with each single layer removed. */
public final class SingleLayerAblation {
    private SingleLayerAblation() {
    }

    /** losses[l] = calibration loss (mean nats per predicted token) of the model without layer l. */
    public static double[] losses(Model model, int[][] calibration, int batchSequences, MemoryBudget memory, Progress progress) {
        return losses(CalibrationRunner.local(model, calibration), batchSequences, memory, progress);
    }

    /** The same, run by {@code runner}. */
    public static double[] losses(CalibrationRunner runner, int batchSequences, MemoryBudget memory, Progress progress) {
        int layers = runner.model().config().numLayers();
        List<int[]> without = IntStream.range(0, layers).mapToObj(l -> Transformer.without(layers, l)).toList();
        return LayerSetLosses.means(runner.run(new LayerSetLosses(without, batchSequences, memory), "ablation", progress));
    }
}
