package dev.shallow.heal;

import dev.shallow.ShallowException;

import java.util.ArrayList;
import java.util.List;

/**
 * LoRA hyper-parameters as PEFT's LoraConfig names them: r, lora_alpha, lora_dropout,
 * target_modules; the adapter adds (alpha / r) B A dropout(x) to each target's output.
 *
 * @param targets PEFT module names of the family ({@code q_proj}, {@code qkv_proj}, {@code dense}, ...) or
 *                {@link #ALL_LINEAR}; resolved against a model by {@link #modules}
 * @param seed    seeds the A initialisation and the dropout masks
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targets, long seed) {
    /** PEFT's family-independent choice: every linear module of every layer (not the head), as QLoRA adapts. */
    public static final String ALL_LINEAR = "all-linear";
    /** Targets = every linear module. */
    public static final List<String> ALL = List.of(ALL_LINEAR);

    public LoraConfig {
        if (rank < 1) throw new IllegalArgumentException("LoRA rank must be >= 1, got " + rank);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
        targets = List.copyOf(targets);
    }

    /** alpha / r (PEFT's scaling without rsLoRA). */
    public double scaling() {
        return alpha / rank;
    }

    /** The family's modules that {@link #targets} names, in layer order; a name the family lacks is an error listing its names. */
    public List<LinearModule> modules(String family, List<LinearModule> layer) {
        List<String> known = layer.stream().map(LinearModule::name).toList();
        for (String t : targets) {
            if (!t.equals(ALL_LINEAR) && !known.contains(t)) {
                throw new ShallowException("--targets: a " + family + " layer has no module '" + t + "' (its modules: "
                        + String.join(", ", known) + "; or " + ALL_LINEAR + ")");
            }
        }
        List<LinearModule> out = new ArrayList<>();
        for (LinearModule m : layer) if (targets.contains(ALL_LINEAR) || targets.contains(m.name())) out.add(m);
        return out;
    }
}
