package dev.shallow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The results of one {@code shallow bench} run: Shallow's throughput per workload beside PyTorch's float32 and
 * bfloat16 paths, the ratio to the faster PyTorch path, and how close Shallow comes to the machine's limits
 * (matmul FLOP/s against an FMA peak; decode: weight bytes read per second against a bandwidth); the peak RSS of
 * each engine; the pruned models' speed-ups; the analysis overhead; sliding-window against full attention on long prompts.
 *
 * @param model               the --model / --shape checkpoint, or null when only {@code sliding} (which has its own) was selected
 * @param shallow             the selected workloads PyTorch also runs (possibly none)
 * @param shallowPeakRssBytes VmHWM of Shallow's process after its workloads, or null where unknown
 * @param torch               null when PyTorch was not run ({@code torchSkipped} says why)
 * @param peakGflops          FP32 FMA peak in GFLOP/s, or null if not given
 * @param bandwidthGbs        read bandwidth in GB/s, or null if not given
 * @param pruned              the full model then each pruned one, or empty when not selected
 * @param analyse             the analysis overhead, or null when not selected
 * @param sliding             the sliding-window benchmark, or null when not selected
 * @param llamaCpp            llama.cpp's prefill and decode on a GGUF of the model, or null when not run ({@code llamaCppSkipped} says why)
 * @param gguf                the checkpoint's GGUFs through Shallow and llama.cpp, or null when not selected
 * @param shallowBf16         the same workloads with --precision bf16 (empty when not run)
 * @param platform            the CPU, its features and the matmul backends ({@link dev.shallow.tensor.Matmul#platform})
 */
public record BenchReport(String model, int threads, WeightCost cost, Workload workload, Map<BenchPart, Measurement> shallow,
                          Long shallowPeakRssBytes, TorchBaseline.Result torch, String torchSkipped, Double peakGflops,
                          Double bandwidthGbs, List<PrunedSpeed> pruned, AnalysisOverhead analyse, SlidingSpeed sliding,
                          LlamaCppBaseline.Result llamaCpp, String llamaCppSkipped, GgufSpeed.Runs gguf,
                          Map<BenchPart, Measurement> shallowBf16, List<String> platform) {

    /**
     * One table row. {@code vsTorch} is Shallow / the faster PyTorch path (NaN without PyTorch); {@code vsLlamaCpp} Shallow /
     * llama.cpp (NaN where llama.cpp did not run this workload); {@code f32VsTorchF32} and {@code bf16VsTorchBf16} like with like
     * (Shallow f32 / PyTorch float32, Shallow bf16 / PyTorch bfloat16; NaN where either is missing).
     */
    public record Row(String workload, String unit, Measurement shallow, Measurement torchF32, Measurement torchBf16, double vsTorch,
                      String fasterTorch, Measurement llamaCpp, double vsLlamaCpp, double achieved, String achievedUnit, double percentOfLimit,
                      Measurement shallowBf16, double f32VsTorchF32, double bf16VsTorchBf16) {
    }

    public List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (var e : shallow.entrySet()) {
            BenchPart part = e.getKey();
            String name = part.rowName(workload);
            Measurement s = e.getValue();
            Measurement f32 = torch(name, "float32"), bf16 = torch(name, "bfloat16");
            Measurement faster = f32 == null || (bf16 != null && bf16.perSecond() > f32.perSecond()) ? bf16 : f32;
            double vs = faster == null ? Double.NaN : s.perSecond() / faster.perSecond();
            String fasterName = faster == null ? null : faster == f32 ? "float32" : "bfloat16";
            Measurement lc = llamaCpp == null ? null : llamaCpp.byWorkload().get(name);
            boolean decode = part == BenchPart.DECODE;
            double achieved = s.perSecond() * (decode ? cost.decodeBytesPerToken() : flopPerUnit(part)) / 1e9;
            Double limit = decode ? bandwidthGbs : peakGflops;
            Measurement sBf16 = shallowBf16.get(part);
            rows.add(new Row(name, part.unit(), s, f32, bf16, vs, fasterName, lc, lc == null ? Double.NaN : s.perSecond() / lc.perSecond(),
                    achieved, decode ? "GB/s" : "GFLOP/s",
                    limit == null ? Double.NaN : 100 * achieved / limit, sBf16, over(s, f32), over(sBf16, bf16)));
        }
        return rows;
    }

    /** a / b in rate, NaN when either is missing or b is a projection. */
    private static double over(Measurement a, Measurement b) {
        return a == null || b == null || b.estimated() ? Double.NaN : a.perSecond() / b.perSecond();
    }

    private Measurement torch(String workloadName, String dtype) {
        return torch == null ? null : torch.byDtype().getOrDefault(dtype, Map.of()).get(workloadName);
    }

    /** Matmul FLOP Shallow does per token (per request for eval). */
    private double flopPerUnit(BenchPart part) {
        EvalWorkload eval = workload.eval();
        int training = workload.training().tokens();
        return switch (part) {
            case PREFILL -> prefillFlopPerToken(new int[][]{workload.prompt()});
            case LONG_PREFILL -> prefillFlopPerToken(new int[][]{workload.longPrompt()});
            case BATCH_PREFILL -> prefillFlopPerToken(workload.batch());
            case EVAL -> cost.forwardFlop(eval.sharedPrefixTokens(), eval.questions().size() + eval.answerTokens()) / eval.size();
            case TRAIN -> cost.trainingFlop(training) / training;
            case DECODE, PRUNED, ANALYSE, SLIDING, GGUF -> throw new IllegalArgumentException(part + " is not counted in FLOP");
        };
    }

    private double prefillFlopPerToken(int[][] seqs) {
        int tokens = seqs.length * seqs[0].length;
        return cost.forwardFlop(tokens, seqs.length) / tokens;
    }

    /** The tables printed to the terminal, each with a legend. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        for (String line : platform) sb.append(line).append(System.lineSeparator());
        if (!platform.isEmpty()) sb.append(System.lineSeparator());
        if (!shallow.isEmpty()) throughputTable(sb);
        if (!shallowBf16.isEmpty()) precisionTable(sb);
        if (!pruned.isEmpty()) prunedTable(sb);
        if (analyse != null) analyseTable(sb);
        if (sliding != null) slidingTable(sb);
        if (gguf != null) gguf.table(sb, workload, torch);
        sb.append(String.format("%n%s%d threads; best of up to the given repeats after a warm-up.%n", model == null ? "" : "model " + model + ", ",
                threads));
        return sb.toString();
    }

    private void throughputTable(StringBuilder sb) {
        String fmt = "%-15s %-6s %9s %10s %11s %16s %10s %13s  %s%n";
        sb.append(String.format(fmt, "workload", "unit", "Shallow", "torch f32", "torch bf16", "vs faster torch", "llama.cpp", "vs llama.cpp",
                "Shallow achieved"));
        for (Row r : rows()) {
            String limit = Double.isNaN(r.percentOfLimit()) ? ""
                    : String.format(" (%.0f%% of %s)", r.percentOfLimit(), r.achievedUnit().equals("GB/s") ? "bandwidth" : "peak");
            sb.append(String.format(fmt, r.workload(), r.unit(), rate(r.shallow()), rate(r.torchF32()), rate(r.torchBf16()),
                    ratio(r.vsTorch()), rate(r.llamaCpp()), ratio(r.vsLlamaCpp()), String.format("%.1f %s", r.achieved(), r.achievedUnit()) + limit));
        }
        sb.append(String.format(fmt, "peak RSS", "MiB", mib(shallowPeakRssBytes), mib(torchPeak("float32")), mib(torchPeak("bfloat16")), "", "", "",
                ""));
        legend(sb);
    }

    /** Like with like: Shallow f32 against PyTorch float32, Shallow bf16 against PyTorch bfloat16. */
    private void precisionTable(StringBuilder sb) {
        String fmt = "%-15s %-6s %12s %10s %9s %13s %11s %9s%n";
        sb.append(System.lineSeparator()).append(String.format(fmt, "workload", "unit", "Shallow f32", "torch f32", "f32 vs", "Shallow bf16",
                "torch bf16", "bf16 vs"));
        for (Row r : rows()) {
            sb.append(String.format(fmt, r.workload(), r.unit(), rate(r.shallow()), rate(r.torchF32()), ratio(r.f32VsTorchF32()),
                    rate(r.shallowBf16()), rate(r.torchBf16()), ratio(r.bf16VsTorchBf16())));
        }
        sb.append(String.format("bf16: Shallow with --precision bf16 (activations rounded to bfloat16 at each matmul input, float32 accumulation);"
                + "%n  PyTorch bfloat16: the model cast to bfloat16. vs = Shallow / PyTorch in the same precision (- where PyTorch was projected, not run).%n"));
    }

    private Long torchPeak(String dtype) {
        return torch == null ? null : torch.peakRssBytes().get(dtype);
    }

    private void legend(StringBuilder sb) {
        String nl = System.lineSeparator();
        sb.append(nl).append("prefill: tokens of all prompts / wall time (last-token logits); ")
                .append(String.format("decode: %d greedy steps after a %d-token prompt.%n", workload.decodeSteps(), workload.decodePrompt().length));
        if (shallow.containsKey(BenchPart.EVAL)) {
            sb.append(String.format("eval: %s;%n  Shallow: shallow eval's TransformerLM (a context's answers share its forward pass, up to %d tokens a call);%n"
                    + "  PyTorch: every context + answer in full, longest first, in right-padded batches of 8 with all-position logits%n"
                    + "  (as lm-evaluation-harness's HF model with --batch_size 8).%n", workload.eval().describe(), Bench.EVAL_BATCH_TOKENS));
        }
        if (shallow.containsKey(BenchPart.TRAIN)) {
            sb.append(String.format("train: LoRA steps on %d x %d tokens (rank %d, alpha %.0f, dropout %.2f on all 7 projections, clipping, AdamW);"
                            + " Shallow keeps the last layers' internals for backward%n  within a quarter of its heap, recomputes the others"
                            + " (activation checkpointing); PyTorch: autograd without checkpointing (scripts/bench_heal_torch.py),%n"
                            + "  float32, and bfloat16 as mixed precision (the weights in bfloat16 under torch.autocast, LoRA and AdamW in float32).%n",
                    workload.training().sequences().length, workload.training().sequences()[0].length, TrainingWorkload.RANK,
                    TrainingWorkload.ALPHA, TrainingWorkload.DROPOUT));
        }
        sb.append(String.format("achieved: matmul FLOP per second (prefill %.3g GFLOP/token; eval as Shallow computes it, shared contexts once;"
                        + " train 2 passes over%n  the layers' and the head's weights per token, recomputation not counted); decode = weight bytes read (%.3g GB/token) per second.%n",
                prefillFlopPerToken(new int[][]{workload.prompt()}) / 1e9, cost.decodeBytesPerToken() / 1e9));
        sb.append("peak RSS: VmHWM of Shallow's JVM after all its workloads (mapped weights included) and of each PyTorch dtype's process.")
                .append(nl);
        if (torch != null) {
            sb.append(String.format("PyTorch %s, %d threads; vs faster torch = Shallow / max(float32, bfloat16).%n", torch.torchVersion(), torch.threads()));
            torch.byDtype().forEach((dtype, m) -> m.forEach((w, x) -> {
                if (x.estimated()) sb.append(String.format("~ torch %s %s: %s%n", dtype, w, x.note()));
            }));
        } else {
            sb.append("PyTorch not run: ").append(torchSkipped).append(nl);
        }
        if (llamaCpp != null) {
            sb.append(String.format("%s on %s: %d threads, %s KV cache, flash attention %s; prefill: the prompt in one batch, then a token"
                            + " sampled;%n  decode: greedy steps after the untimed prompt; vs llama.cpp = Shallow / llama.cpp. CPU: %s%n",
                    llamaCpp.version(), llamaCpp.gguf(), llamaCpp.threads(), llamaCpp.kvCacheType(), llamaCpp.flashAttention(), llamaCpp.systemInfo()));
        } else {
            sb.append("llama.cpp not run: ").append(llamaCppSkipped).append(nl);
        }
    }

    private void prunedTable(StringBuilder sb) {
        if (!sb.isEmpty()) sb.append(System.lineSeparator());
        String fmt = "%-13s %6s %8s %15s %9s %13s %9s %13s%n";
        PrunedSpeed full = pruned.getFirst();
        sb.append(String.format(fmt, "Shallow model", "layers", "removed", workload.promptName(), "speed-up", "decode tok/s", "speed-up",
                "ideal L/kept"));
        for (PrunedSpeed p : pruned) {
            LayerRemoval r = p.removal();
            sb.append(String.format(fmt, r.label(), r.kept().length,
                    r.removedRange(), rate(p.prefill()), ratio(p.prefillSpeedup(full)), rate(p.decode()), ratio(p.decodeSpeedup(full)),
                    ratio(r.idealSpeedup())));
        }
        sb.append(String.format("%npruned: the deepest layers except the last skipped (Transformer.without; no checkpoint written); speed-up ="
                + " pruned / full tok/s;%n  ideal = time proportional to the layers run (embedding and head do not shrink). PyTorch is not run on pruned models.%n"));
    }

    private void analyseTable(StringBuilder sb) {
        if (!sb.isEmpty()) sb.append(System.lineSeparator());
        String fmt = "%-15s %14s %18s %14s%n";
        sb.append(String.format(fmt, "workload", "forward tok/s", "analysis tok/s", "time ratio"));
        sb.append(String.format(fmt, analyse.name(), rate(analyse.plain()), rate(analyse.analysis()), ratio(analyse.timeRatio())));
        sb.append(String.format("%nanalyse: %d x %d calibration tokens through a plain forward (last-token logits) and through the analysis pass%n"
                        + "(angular distance, Block Influence, relative magnitude, CKA on %d tokens); time ratio = analysis / forward (target < 1.10).%n",
                analyse.sequences(), analyse.seqLen(), analyse.ckaTokens()));
    }

    private void slidingTable(StringBuilder sb) {
        if (!sb.isEmpty()) sb.append(System.lineSeparator());
        SlidingShape shape = sliding.shape();
        ModelShape m = shape.shape();
        int w = shape.window();
        String fmt = "%-14s %14s %11s %11s %13s %17s %14s%n";
        sb.append(String.format(fmt, "context", "sliding tok/s", "full tok/s", "time ratio", "ideal (keys)", "KV/layer sliding", "KV/layer full"));
        for (SlidingPrefill p : sliding.prefills()) {
            sb.append(String.format(fmt, p.tokens() + " (" + p.tokens() / w + "W)", rate(p.sliding()), rate(p.full()), ratio(p.timeRatio()),
                    ratio(shape.idealKeyRatio(p.tokens())), kvMib(p.slidingLayerKvBytes()), kvMib(p.fullLayerKvBytes())));
        }
        sb.append(String.format("%nsliding: 1 prompt of random ids prefilled (last-token logits) through a Mistral-shaped model (%d layers, hidden %d,"
                        + " %d heads x %d, %d kv heads, MLP %d, vocab %d)%n  whose every layer sees a window of W = %d keys, and through the same"
                        + " weights with sliding_window null (full attention), timed alternately.%n"
                        + "  time ratio = sliding / full time; ideal = the keys its queries see, sum_p min(p+1, W) / sum_p (p+1) (attention only:"
                        + " the projections and MLP%n  cost both alike); KV/layer = one layer's keys and values after the prompt (a sliding layer"
                        + " keeps a ring of W + min(256, W) - 1 slots).%n"
                        + "  Time per token from %dW to %dW: sliding x%.2f (its queries see at most W keys: O(T x W)), full x%.2f (O(T^2)).%n",
                m.layers(), m.hidden(), m.heads(), m.headDim(), m.kvHeads(), m.intermediate(), m.vocab(), w,
                SlidingShape.CONTEXT_WINDOWS.getFirst(), SlidingShape.CONTEXT_WINDOWS.getLast(), sliding.perTokenGrowth(SlidingPrefill::sliding),
                sliding.perTokenGrowth(SlidingPrefill::full)));
    }

    private static String kvMib(long bytes) {
        return String.format("%.2f MiB", bytes / (1024.0 * 1024));
    }

    static String rate(Measurement m) {
        if (m == null) return "-";
        String digits = m.perSecond() < 0.1 ? "%.2g" : m.perSecond() < 10 ? "%.2f" : "%.1f";
        return (m.estimated() ? "~" : "") + String.format(digits, m.perSecond());
    }

    static String ratio(double r) {
        return Double.isNaN(r) ? "-" : String.format("%.2fx", r);
    }

    static String mib(Long bytes) {
        return bytes == null ? "-" : Long.toString(Math.round(bytes / (1024.0 * 1024)));
    }

    /** Everything above as JSON (for --out). */
    public ObjectNode toJson() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("model", model);
        root.put("threads", threads);
        root.set("weight_cost", json.valueToTree(cost));
        Map<String, Measurement> byName = new LinkedHashMap<>();
        shallow.forEach((part, m) -> byName.put(part.rowName(workload), m));
        root.set("shallow", json.valueToTree(byName));
        Map<String, Measurement> bf16ByName = new LinkedHashMap<>();
        shallowBf16.forEach((part, m) -> bf16ByName.put(part.rowName(workload), m));
        root.set("shallow_bf16", json.valueToTree(bf16ByName));
        root.set("platform", json.valueToTree(platform));
        root.put("shallow_peak_rss_bytes", shallowPeakRssBytes);
        root.set("torch", json.valueToTree(torch));
        root.put("torch_skipped", torchSkipped);
        root.set("llama_cpp", json.valueToTree(llamaCpp));
        root.put("llama_cpp_skipped", llamaCppSkipped);
        root.put("peak_gflops", peakGflops);
        root.put("bandwidth_gbs", bandwidthGbs);
        root.set("rows", json.valueToTree(rows()));
        if (!pruned.isEmpty()) prunedJson(root.putArray("pruned"), json);
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
        if (sliding != null) slidingJson(root.putObject("sliding"), json);
        if (gguf != null) {
            ObjectNode g = root.putObject("gguf");
            g.set("files", json.valueToTree(gguf.speeds()));
            g.put("llama_cpp", gguf.llamaCppVersion());
            g.put("llama_cpp_skipped", gguf.llamaCppSkipped());
            if (gguf.subBlocks() != null) g.put("sub_blocks_removed", gguf.subBlocks());
            double q8 = gguf.shallowDecodeRatio("q8_0", "bf16");
            if (!Double.isNaN(q8)) g.put("shallow_decode_q8_0_over_bf16", q8);
        }
        return root;
    }

    private void slidingJson(ObjectNode out, ObjectMapper json) {
        out.set("shape", json.valueToTree(sliding.shape().shape()));
        out.put("window", sliding.shape().window());
        ArrayNode prefills = out.putArray("prefills");
        for (SlidingPrefill p : sliding.prefills()) {
            ObjectNode o = prefills.addObject();
            o.put("tokens", p.tokens());
            o.set("sliding", json.valueToTree(p.sliding()));
            o.set("full", json.valueToTree(p.full()));
            o.put("time_ratio", p.timeRatio());
            o.put("ideal_ratio", sliding.shape().idealKeyRatio(p.tokens()));
            o.put("sliding_layer_kv_bytes", p.slidingLayerKvBytes());
            o.put("full_layer_kv_bytes", p.fullLayerKvBytes());
        }
        out.put("sliding_per_token_growth", sliding.perTokenGrowth(SlidingPrefill::sliding));
        out.put("full_per_token_growth", sliding.perTokenGrowth(SlidingPrefill::full));
    }

    private void prunedJson(ArrayNode out, ObjectMapper json) {
        PrunedSpeed full = pruned.getFirst();
        for (PrunedSpeed p : pruned) {
            ObjectNode o = out.addObject();
            o.put("fraction", p.removal().fraction());
            o.set("removed", json.valueToTree(p.removal().removed()));
            o.put("layers", p.removal().kept().length);
            o.set(workload.promptName(), json.valueToTree(p.prefill()));
            o.set(Workload.DECODE, json.valueToTree(p.decode()));
            o.put("prefill_speedup", p.prefillSpeedup(full));
            o.put("decode_speedup", p.decodeSpeedup(full));
            o.put("ideal_speedup", p.removal().idealSpeedup());
        }
    }
}
