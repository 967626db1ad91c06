package dev.shallow.bench;

import dev.shallow.ShallowException;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Collectors;

/** The workloads {@code shallow bench --workloads} can select. */
public enum BenchPart {
    /** One prompt prefilled (compared with PyTorch). */
    PREFILL("prefill128"),
    /** A batch of prompts prefilled together (compared with PyTorch). */
    BATCH_PREFILL("prefill8x256"),
    /** Greedy single-token steps (compared with PyTorch). */
    DECODE("decode"),
    /** The calibration batch through the analysis pass against a plain forward (Shallow only). */
    ANALYSE("analyse");

    private final String cliName;

    BenchPart(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    /** Whether PyTorch runs this workload too. */
    public boolean hasTorchBaseline() {
        return this != ANALYSE;
    }

    /** The table row of this workload in {@code w} (PyTorch uses the same names); null for {@link #ANALYSE}. */
    public String rowName(Workload w) {
        return switch (this) {
            case PREFILL -> w.promptName();
            case BATCH_PREFILL -> w.batchName();
            case DECODE -> Workload.DECODE;
            case ANALYSE -> null;
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
