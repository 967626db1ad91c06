package dev.shallow.cli;

import dev.shallow.transformer.MemoryBudget;
import picocli.CommandLine.Option;

/** --memory-budget SIZE: over it, analysis and log-likelihood scoring run layer by layer (results do not depend on it). */
final class MemoryBudgetOption {
    @Option(names = "--memory-budget", paramLabel = "SIZE",
            description = {"Memory the run may use, e.g. 6g or 512m (default: 75%% of physical memory or of the container's limit).",
                    "A model that does not fit runs layer by layer: the analysis, log-likelihood and perplexity passes read each layer's weights once for all their batches, then release them; the results are the same."})
    String size;

    MemoryBudget budget() {
        return size == null ? MemoryBudget.DEFAULT : MemoryBudget.parse(size);
    }
}
