package dev.shallow.analysis;

import dev.shallow.model.Model;
import dev.shallow.transformer.MemoryBudget;
import dev.shallow.transformer.Transformer;

/** ShortGPT Fig. 3: the calibration loss of the model with each single layer removed. */
public final class SingleLayerAblation {
    private SingleLayerAblation() {
    }

    /** losses[l] = calibration loss (mean nats per predicted token) of the model without layer l. */
    public static double[] losses(Model model, int[][] calibration, int batchSequences, MemoryBudget memory, Progress progress) {
        int layers = model.config().numLayers();
        long total = Batches.tokens(calibration);
        double[] losses = new double[layers];
        for (int l = 0; l < layers; l++) {
            long before = l * total;
            losses[l] = CalibrationLoss.of(new Transformer(model, Transformer.without(layers, l)), calibration, batchSequences, memory,
                    (phase, done, all) -> progress.update("ablation", before + done, layers * total), "ablation");
        }
        return losses;
    }
}
