package dev.shallow.cli;

import dev.shallow.data.CalibrationOptions;
import dev.shallow.data.Datasets;
import dev.shallow.heal.HealOptions;
import dev.shallow.heal.LoraConfig;
import dev.shallow.sweep.HealMethod;
import picocli.CommandLine.Option;

import java.util.List;

/**
 * {@code shallow sweep --heal}: healing each pruned point as {@code shallow heal} does, with a sweep-sized budget. The
 * options not offered here are {@code shallow heal}'s defaults (dropout 0.05, all seven projections, no warm-up, one
 * micro-batch a step, weight decay 0, gradient norm 1); the seed is the sweep's {@code --seed}.
 */
final class SweepHealOptions {
    @Option(names = "--heal", arity = "0..1", fallbackValue = "lora", paramLabel = "METHODS", description = "Also heal every pruned point by each "
            + "of these methods (comma-separated, of: lora, kd, replaceme, replaceme+kd; --heal alone: lora) and evaluate each healed model (a line per method after the point's).")
    String methods;

    @Option(names = "--heal-data", paramLabel = "NAME|FILE", description = "Healing text (default: the calibration --data); its last "
            + "--heal-heldout-samples documents are held out for the loss before and after. Not --loss-data.")
    String data;

    @Option(names = "--heal-heldout-samples", converter = Ranges.AtLeastOne.class, defaultValue = "40", paramLabel = "N", description = "Documents of the healing text held out (default: ${DEFAULT-VALUE}).")
    int heldoutSamples;

    @Option(names = "--heal-tokens", converter = Ranges.AtLeastOneLong.class, defaultValue = "40960", paramLabel = "N", description = "Training tokens per healed point (default: ${DEFAULT-VALUE}).")
    long tokens;

    @Option(names = "--heal-rank", converter = Ranges.AtLeastOne.class, defaultValue = "8", paramLabel = "R", description = "LoRA rank (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--heal-alpha", converter = Ranges.Positive.class, defaultValue = "16", paramLabel = "A", description = "LoRA alpha (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--heal-lr", converter = Ranges.Positive.class, defaultValue = "" + HealOptions.DEFAULT_LR, paramLabel = "LR",
            description = "Peak learning rate, cosine to 0 (default: shallow heal's, ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--heal-batch", converter = Ranges.AtLeastOne.class, defaultValue = "4", paramLabel = "B", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--heal-seq-len", converter = Ranges.AtLeastOne.class, defaultValue = "256", paramLabel = "T", description = "Tokens per packed sequence (default: ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--heal-nf4", description = "Quantize the frozen projections to NF4 while healing (QLoRA).")
    boolean nf4;

    /** The healing methods --heal names, or an empty list without --heal. */
    List<HealMethod> methods() {
        return methods == null ? List.of() : HealMethod.parse(methods);
    }

    /** The healing options; {@code calibration}'s text unless --heal-data is given. */
    HealOptions options(CalibrationOptions calibration, long seed) {
        String text = data != null ? Datasets.absoluteIfFile(data) : Datasets.absoluteIfFile(calibration.data());
        String field = data != null ? "text" : calibration.textField();
        return new HealOptions(text, field, null, heldoutSamples, rank, alpha, 0.05, LoraConfig.ALL, tokens, lr, 0,
                batch, seqLen, 1, nf4, seed, 0, 1.0);
    }
}
