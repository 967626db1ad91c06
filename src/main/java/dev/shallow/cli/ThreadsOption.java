package dev.shallow.cli;

import dev.shallow.tensor.Parallel;
import picocli.CommandLine.Option;

/** --threads N: worker threads for the kernels (results do not depend on it). */
final class ThreadsOption {
    @Option(names = "--threads", converter = Ranges.AtLeastOne.class, paramLabel = "N", description = "Worker threads (default: all cores). Results are identical for any N.")
    void setThreads(int n) {
        Parallel.setThreads(n);
    }
}
