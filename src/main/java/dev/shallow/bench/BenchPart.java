package dev.shallow.bench;

import dev.shallow.ShallowException;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Collectors;

/** The workloads {@code shallow bench --workloads} can select, in the order they run and are printed. */
public enum BenchPart {
    /** One prompt prefilled (compared with PyTorch). */
    PREFILL("prefill128"),
    /** One long prompt prefilled (compared with PyTorch). */
    LONG_PREFILL("prefill512"),
    /** A batch of prompts prefilled together (compared with PyTorch). */
    BATCH_PREFILL("prefill8x256"),
    /** Greedy single-token steps (compared with PyTorch). */
    DECODE("decode"),
    /** MMLU-like log-likelihood requests, in requests/s (compared with PyTorch). */
    EVAL("eval"),
    /** One LoRA training step (compared with PyTorch float32 autograd). */
    TRAIN("train"),
    /** Prefill and decode of the model with 25% and 50% of its layers removed (Shallow only). */
    PRUNED("pruned"),
    /** The calibration batch through the analysis pass against a plain forward (Shallow only). */
    ANALYSE("analyse"),
    /** Long prompts through a sliding-window model of its own against the same weights with full attention (Shallow only). */
    SLIDING("sliding"),
    /** The checkpoint written as GGUF at each --gguf-dtypes type, prefill and decode on each file by Shallow and llama.cpp. */
    GGUF("gguf");

    private final String cliName;

    BenchPart(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    /** Whether PyTorch runs this workload too; these are the rows of the throughput table (the others have their own). */
    public boolean hasTorchBaseline() {
        return this != PRUNED && this != ANALYSE && this != SLIDING && this != GGUF;
    }

    /** Whether it runs on the --model (or --shape) checkpoint; sliding writes and runs its own. */
    public boolean usesBenchModel() {
        return this != SLIDING;
    }

    /** What its throughput counts per second. */
    public String unit() {
        return this == EVAL ? "req/s" : "tok/s";
    }

    /** The table row of this workload in {@code w} (PyTorch uses the same names); null for the parts without a row. */
    public String rowName(Workload w) {
        return switch (this) {
            case PREFILL -> w.promptName();
            case LONG_PREFILL -> w.longPromptName();
            case BATCH_PREFILL -> w.batchName();
            case DECODE -> Workload.DECODE;
            case EVAL -> w.eval().name();
            case TRAIN -> w.training().name();
            case PRUNED, ANALYSE, SLIDING, GGUF -> null;
        };
    }

    public static EnumSet<BenchPart> parse(List<String> names) {
        EnumSet<BenchPart> parts = EnumSet.noneOf(BenchPart.class);
        for (String name : names) {
            parts.add(Arrays.stream(values()).filter(p -> p.cliName.equals(name.strip())).findFirst().orElseThrow(() -> new ShallowException(
                    "--workloads: unknown workload '" + name + "' (known: " + Arrays.stream(values()).map(BenchPart::cliName)
                            .collect(Collectors.joining(", ")) + ")")));
        }
        if (parts.isEmpty()) throw new ShallowException("--workloads: name at least one workload");
        return parts;
    }
}
