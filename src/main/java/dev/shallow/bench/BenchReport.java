package dev.shallow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The results of one {@code shallow bench} run: Shallow's tokens/s per workload beside PyTorch's float32 and
 * bfloat16 paths, the ratio to the faster PyTorch path, and how close Shallow comes to the machine's limits
 * (prefill: matmul FLOP/s against an FMA peak; decode: weight bytes read per second against a bandwidth).
 *
 * @param torch null when PyTorch was not run ({@code torchSkipped} says why)
 * @param peakGflops FP32 FMA peak in GFLOP/s, or null if not given
 * @param bandwidthGbs read bandwidth in GB/s, or null if not given
 * @param shallow      the selected prefill and decode workloads (possibly none)
 * @param analyse      the analysis overhead, or null when not selected
 */
public record BenchReport(String model, int threads, WeightCost cost, Workload workload, Map<String, Measurement> shallow,
                          TorchBaseline.Result torch, String torchSkipped, Double peakGflops, Double bandwidthGbs,
                          AnalysisOverhead analyse) {
    private static final List<String> DTYPES = List.of("float32", "bfloat16");

    /** One table row. {@code vsTorch} is Shallow / the faster PyTorch path (NaN without PyTorch). */
    public record Row(String workload, Measurement shallow, Measurement torchF32, Measurement torchBf16, double vsTorch,
                      String fasterTorch, double achieved, String achievedUnit, double percentOfLimit) {
    }

    public List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (var e : shallow.entrySet()) {
            String name = e.getKey();
            Measurement s = e.getValue();
            Measurement f32 = torch(name, "float32"), bf16 = torch(name, "bfloat16");
            Measurement faster = f32 == null || (bf16 != null && bf16.tokensPerSecond() > f32.tokensPerSecond()) ? bf16 : f32;
            double vs = faster == null ? Double.NaN : s.tokensPerSecond() / faster.tokensPerSecond();
            String fasterName = faster == null ? null : faster == f32 ? "float32" : "bfloat16";
            boolean decode = name.equals(Workload.DECODE);
            double achieved = decode ? s.tokensPerSecond() * cost.decodeBytesPerToken() / 1e9
                    : s.tokensPerSecond() * flopPerToken(name) / 1e9;
            Double limit = decode ? bandwidthGbs : peakGflops;
            rows.add(new Row(name, s, f32, bf16, vs, fasterName, achieved, decode ? "GB/s" : "GFLOP/s",
                    limit == null ? Double.NaN : 100 * achieved / limit));
        }
        return rows;
    }

    private Measurement torch(String workloadName, String dtype) {
        return torch == null ? null : torch.byDtype().getOrDefault(dtype, Map.of()).get(workloadName);
    }

    private double flopPerToken(String name) {
        int[][] seqs = name.equals(workload.promptName()) ? new int[][]{workload.prompt()} : workload.batch();
        int tokens = seqs.length * seqs[0].length;
        return cost.prefillFlop(tokens, seqs.length) / tokens;
    }

    /** The table printed to the terminal, with a legend. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        if (!shallow.isEmpty()) forwardTable(sb);
        if (analyse != null) analyseTable(sb);
        return sb.toString();
    }

    private void analyseTable(StringBuilder sb) {
        if (!sb.isEmpty()) sb.append(System.lineSeparator());
        String fmt = "%-15s %14s %18s %14s%n";
        sb.append(String.format(fmt, "workload", "forward tok/s", "analysis tok/s", "time ratio"));
        sb.append(String.format(fmt, analyse.name(), tokS(analyse.plain()), tokS(analyse.analysis()), String.format("%.3fx", analyse.timeRatio())));
        sb.append(String.format("%nmodel %s, %d threads; best of up to the given repeats after a warm-up.%n", model, threads));
        sb.append(String.format("analyse: %d x %d calibration tokens through a plain forward (last-token logits) and through the analysis pass%n"
                + "(angular distance, Block Influence, relative magnitude, CKA on %d tokens); time ratio = analysis / forward (target < 1.10).%n",
                analyse.sequences(), analyse.seqLen(), analyse.ckaTokens()));
    }

    private void forwardTable(StringBuilder sb) {
        String fmt = "%-15s %14s %16s %17s %16s  %s%n";
        sb.append(String.format(fmt, "workload", "Shallow tok/s", "torch f32 tok/s", "torch bf16 tok/s", "vs faster torch",
                "Shallow achieved"));
        for (Row r : rows()) {
            String limit = Double.isNaN(r.percentOfLimit()) ? ""
                    : String.format(" (%.0f%% of %s)", r.percentOfLimit(), r.achievedUnit().equals("GB/s") ? "bandwidth" : "peak");
            sb.append(String.format(fmt, r.workload(), tokS(r.shallow()), tokS(r.torchF32()), tokS(r.torchBf16()),
                    Double.isNaN(r.vsTorch()) ? "-" : String.format("%.2fx", r.vsTorch()),
                    String.format("%.1f %s", r.achieved(), r.achievedUnit()) + limit));
        }
        sb.append(String.format("%nmodel %s, %d threads; best of up to the given repeats after a warm-up.%n", model, threads));
        sb.append(String.format("prefill: tokens of all prompts / wall time (last-token logits); decode: %d greedy steps after a %d-token prompt.%n",
                workload.decodeSteps(), workload.decodePrompt().length));
        sb.append(String.format("achieved: prefill = matmul FLOP (%.3g GFLOP/token) per second; decode = weight bytes read (%.3g GB/token) per second.%n",
                flopPerToken(workload.promptName()) / 1e9, cost.decodeBytesPerToken() / 1e9));
        if (torch != null) {
            sb.append(String.format("PyTorch %s, %d threads; vs faster torch = Shallow / max(float32, bfloat16).%n", torch.torchVersion(), torch.threads()));
            torch.byDtype().forEach((dtype, m) -> m.forEach((w, x) -> {
                if (x.estimated()) sb.append(String.format("~ torch %s %s: %s%n", dtype, w, x.note()));
            }));
        } else {
            sb.append("PyTorch not run: ").append(torchSkipped).append(System.lineSeparator());
        }
    }

    private static String tokS(Measurement m) {
        if (m == null) return "-";
        return (m.estimated() ? "~" : "") + String.format(m.tokensPerSecond() < 10 ? "%.2f" : "%.1f", m.tokensPerSecond());
    }

    /** Everything above as JSON (for --out). */
    public ObjectNode toJson() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("model", model);
        root.put("threads", threads);
        root.set("weight_cost", json.valueToTree(cost));
        root.set("shallow", json.valueToTree(shallow));
        root.set("torch", json.valueToTree(torch));
        root.put("torch_skipped", torchSkipped);
        root.put("peak_gflops", peakGflops);
        root.put("bandwidth_gbs", bandwidthGbs);
        root.set("rows", json.valueToTree(rows()));
        if (analyse != null) {
            ObjectNode a = root.putObject("analyse");
            a.put("workload", analyse.name());
            a.put("sequences", analyse.sequences());
            a.put("seq_len", analyse.seqLen());
            a.put("cka_tokens", analyse.ckaTokens());
            a.set("plain_forward", json.valueToTree(analyse.plain()));
            a.set("analysis_pass", json.valueToTree(analyse.analysis()));
            a.put("time_ratio", analyse.timeRatio());
        }
        return root;
    }
}
