package dev.shallow.tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What this CPU offers the matmul backends, read from /proc/cpuinfo (Linux; elsewhere the model is the
 * JVM's os.arch and no feature is listed): its model name and which of the features that decide the
 * kernels it has (AVX2 and FMA: 256-bit Vector API kernels; AVX-512: 512-bit ones; AVX512_BF16 and
 * AMX: oneDNN's native bf16 products; VNNI: int8 dot products).
 */
public record Cpu(String model, int logicalCpus, List<String> features) {
    /** The flags that matter here, in the order printed. */
    static final List<String> FLAGS = List.of("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8");

    /** This machine's CPU. */
    public static Cpu current() {
        String model = System.getProperty("os.arch");
        Set<String> flags = Set.of();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int colon = line.indexOf(':');
                if (colon < 0) continue;
                String key = line.substring(0, colon).trim(), value = line.substring(colon + 1).trim();
                if (key.equals("model name")) model = value;
                else if (key.equals("flags")) flags = Set.of(value.split("\\s+"));
                if (!flags.isEmpty() && !model.equals(System.getProperty("os.arch"))) break;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: the model stays os.arch, no features listed
        }
        List<String> have = new ArrayList<>();
        for (String f : FLAGS) if (flags.contains(f)) have.add(f);
        return new Cpu(model, Runtime.getRuntime().availableProcessors(), have);
    }

    /** One line: "AMD EPYC, 2 CPUs; avx2 fma avx512f avx512_vnni avx512_bf16". */
    public String describe() {
        return model + ", " + logicalCpus + " CPUs; " + (features.isEmpty() ? "none of " + String.join(" ", FLAGS) : String.join(" ", features));
    }
}
