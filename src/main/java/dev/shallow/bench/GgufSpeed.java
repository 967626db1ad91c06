package dev.shallow.bench;

import java.util.List;
import java.util.Locale;

/**
 * The {@code gguf} workload of {@code shallow bench}: the bench checkpoint written as GGUF by Shallow's converter at each
 * requested type (F32, BF16, Q8_0), and prefill of the 128-token prompt and decode on each file by Shallow and by
 * llama.cpp, on the same threads in the same run: each the fastest of the rounds, which run every file on both engines.
 *
 * @param dtype          the type asked of the converter (--dtype)
 * @param file           the GGUF file
 * @param bytes          its size
 * @param shallowPrefill Shallow's prefill on the file
 * @param shallowDecode  Shallow's decode on the file
 * @param llamaPrefill   llama.cpp's prefill on the file, or null when llama.cpp did not run
 * @param llamaDecode    llama.cpp's decode on the file, or null when llama.cpp did not run
 */
public record GgufSpeed(String dtype, String file, long bytes, Measurement shallowPrefill, Measurement shallowDecode,
                        Measurement llamaPrefill, Measurement llamaDecode) {

    /**
     * The selection {@code shallow bench --workloads gguf} runs, why llama.cpp did not run beside it (null when it did), and the
     * sub-blocks removed in the "-sub" files (null when none were written).
     */
    public record Runs(List<GgufSpeed> speeds, String llamaCppVersion, String llamaCppSkipped, String subBlocks) {
        /** Shallow's decode on {@code a} over Shallow's decode on {@code b} (lower-case dtype names), NaN when one was not run. */
        public double shallowDecodeRatio(String a, String b) {
            GgufSpeed x = of(a), y = of(b);
            return x == null || y == null ? Double.NaN : x.shallowDecode.perSecond() / y.shallowDecode.perSecond();
        }

        private GgufSpeed of(String dtype) {
            return speeds.stream().filter(s -> s.dtype.equals(dtype)).findFirst().orElse(null);
        }

        /** The table printed to the terminal: PyTorch's rows on the Hugging Face checkpoint beside, from {@code torch} when it ran. */
        public void table(StringBuilder sb, Workload w, TorchBaseline.Result torch) {
            if (!sb.isEmpty()) sb.append(System.lineSeparator());
            String fmt = "%-12s %9s %11s %10s %8s %11s %10s %8s%n";
            sb.append(String.format(fmt, "engine on", "file MB", w.promptName(), "llama.cpp", "Shallow/", "decode", "llama.cpp", "Shallow/"));
            sb.append(String.format(fmt, "", "", "Shallow", "", "llama", "Shallow", "", "llama"));
            for (GgufSpeed s : speeds) {
                sb.append(String.format(fmt, "GGUF " + s.dtype.toUpperCase(Locale.ROOT), String.format("%.1f", s.bytes / 1e6),
                        BenchReport.rate(s.shallowPrefill), BenchReport.rate(s.llamaPrefill), ratio(s.shallowPrefill, s.llamaPrefill),
                        BenchReport.rate(s.shallowDecode), BenchReport.rate(s.llamaDecode), ratio(s.shallowDecode, s.llamaDecode)));
            }
            if (torch != null) {
                for (String dtype : List.of("float32", "bfloat16")) {
                    var m = torch.byDtype().get(dtype);
                    if (m == null) continue;
                    sb.append(String.format(fmt, "torch " + (dtype.equals("float32") ? "f32" : "bf16"), "", BenchReport.rate(m.get(w.promptName())), "", "",
                            BenchReport.rate(m.get(Workload.DECODE)), "", ""));
                }
            }
            sb.append(String.format("%nGGUF: the checkpoint converted by shallow convert --dtype (cached in bench-cache/); tok/s; Shallow/llama = Shallow / llama.cpp"
                    + " on the same file;%n  the fastest of --repeats rounds, each running every file on both engines once after a warm-up.%n"));
            if (subBlocks != null) {
                sb.append(String.format("-SUB: the same checkpoint with %s removed (llama.cpp's deci); sub-block pruned / unpruned:%n", subBlocks));
                for (GgufSpeed s : speeds) {
                    GgufSpeed full = s.dtype.endsWith("-sub") ? of(s.dtype.substring(0, s.dtype.length() - 4)) : null;
                    if (full == null) continue;
                    sb.append(String.format("  %s: Shallow prefill %s decode %s; llama.cpp prefill %s decode %s%n", full.dtype.toUpperCase(Locale.ROOT),
                            ratio(s.shallowPrefill, full.shallowPrefill), ratio(s.shallowDecode, full.shallowDecode),
                            ratio(s.llamaPrefill, full.llamaPrefill), ratio(s.llamaDecode, full.llamaDecode)));
                }
            }
            double q8 = shallowDecodeRatio("q8_0", "bf16");
            if (!Double.isNaN(q8)) sb.append(String.format("Shallow decode Q8_0 / BF16: %.2fx%n", q8));
            if (torch != null) sb.append("torch: PyTorch on the Hugging Face checkpoint (same weights) in float32 and bfloat16.").append(System.lineSeparator());
            sb.append(llamaCppSkipped == null ? llamaCppVersion : "llama.cpp not run on the GGUFs: " + llamaCppSkipped).append(System.lineSeparator());
        }

        private static String ratio(Measurement a, Measurement b) {
            return BenchReport.ratio(a == null || b == null ? Double.NaN : a.perSecond() / b.perSecond());
        }
    }
}
