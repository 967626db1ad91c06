package dev.shallow.heal;

import java.util.EnumSet;
import java.util.Set;

/**
 * LoRA hyper-parameters as PEFT's LoraConfig names them: r, lora_alpha, lora_dropout,
 * target_modules; the adapter adds (alpha / r) B A dropout(x) to each target's output.
 *
 * @param seed seeds the A initialisation and the dropout masks
 */
public record LoraConfig(int rank, double alpha, double dropout, Set<Projection> targets, long seed) {
    public LoraConfig {
        if (rank < 1) throw new IllegalArgumentException("LoRA rank must be >= 1, got " + rank);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
        targets = Set.copyOf(targets);
    }

    /** Every linear projection of every layer, as QLoRA adapts. */
    public static Set<Projection> allProjections() {
        return EnumSet.allOf(Projection.class);
    }

    /** alpha / r (PEFT's scaling without rsLoRA). */
    public double scaling() {
        return alpha / rank;
    }
}
