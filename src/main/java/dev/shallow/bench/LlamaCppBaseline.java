package dev.shallow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * llama.cpp's side of {@code shallow bench}: prefill and decode of the same workload on a GGUF of the bench model, on the same
 * number of threads, through tools/llamacpp/oracle.mjs (node-llama-cpp's prebuilt CPU build; {@link LlamaCppProcess}).
 * Prefill: a fresh sequence evaluates the prompt in one batch and samples after its last token; decode: after the untimed
 * prefill of the decode prompt, {@code decodeSteps} greedy steps of one token each. Each the fastest of up to {@code repeats}
 * runs after a warm-up, timed in node around the awaited evaluation. KV cache float32 (as Shallow's), flash attention as
 * llama.cpp chooses by default ("auto").
 */
public final class LlamaCppBaseline {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The workloads llama.cpp runs: one prompt prefilled, and decode. */
    public static final Set<BenchPart> PARTS = EnumSet.of(BenchPart.PREFILL, BenchPart.LONG_PREFILL, BenchPart.DECODE);
    public static final String KV_CACHE_TYPE = "F32";

    /** What ran (versions, the CPU features llama.cpp reports, its context) and each workload's throughput by row name. */
    public record Result(String gguf, String version, String systemInfo, int threads, String kvCacheType, String flashAttention,
                         Map<String, Measurement> byWorkload) {
    }

    private final Path script;

    public LlamaCppBaseline(Path script) {
        this.script = script;
    }

    /** Why llama.cpp cannot run here, or null. */
    public String unavailableReason() {
        return LlamaCppProcess.unavailableReason(script);
    }

    /** A llama.cpp process for several {@link #run(LlamaCppProcess, Path, Workload, Set, int, int, double)} calls (its models stay loaded). */
    public LlamaCppProcess start() {
        return LlamaCppProcess.start(script);
    }

    /** The selected {@link #PARTS} of {@code w} on {@code gguf}, in a process of its own. */
    public Result run(Path gguf, Workload w, Set<BenchPart> parts, int threads, int repeats, double budgetSeconds) {
        try (LlamaCppProcess p = start()) {
            return run(p, gguf, w, parts, threads, repeats, budgetSeconds);
        }
    }

    /** The selected {@link #PARTS} of {@code w} on {@code gguf}, by process {@code p}. */
    public Result run(LlamaCppProcess p, Path gguf, Workload w, Set<BenchPart> parts, int threads, int repeats, double budgetSeconds) {
        int longest = Math.max(Math.max(w.prompt().length, w.longPrompt().length), w.decodePrompt().length + w.decodeSteps() + 1);
        int context = (longest + 255) / 256 * 256;
        ObjectNode req = JSON.createObjectNode();
        req.put("model", gguf.toAbsolutePath().toString());
        req.put("threads", threads);
        req.put("context_size", context);
        req.put("batch_size", context);
        req.put("kv_cache_type", KV_CACHE_TYPE);
        req.put("flash_attention", "auto");
        ObjectNode bench = req.putObject("bench");
        bench.put("repeats", repeats);
        bench.put("budget_seconds", budgetSeconds);
        ArrayNode prefill = bench.putArray("prefill");
        if (parts.contains(BenchPart.PREFILL)) prefill.add(JSON.valueToTree(w.prompt()));
        if (parts.contains(BenchPart.LONG_PREFILL)) prefill.add(JSON.valueToTree(w.longPrompt()));
        if (parts.contains(BenchPart.DECODE)) {
            bench.set("decode_prompt", JSON.valueToTree(w.decodePrompt()));
            bench.put("decode_tokens", w.decodeSteps());
        }
        // each workload: a warm-up and up to `repeats` runs, stopping after the budget; loading the model and slow machines on top
        JsonNode answer = p.request(req, Duration.ofSeconds(600 + (long) (4 * budgetSeconds * (prefill.size() + 1))));
        Map<String, Measurement> out = new LinkedHashMap<>();
        int i = 0;
        for (BenchPart part : PARTS) {
            if (!parts.contains(part)) continue;
            JsonNode r = part == BenchPart.DECODE ? answer.path("bench").path("decode") : answer.path("bench").path("prefill").get(i++);
            double best = r.path("best_seconds").asDouble();
            out.put(part.rowName(w), new Measurement(r.path("tokens").asInt() / best, best, r.path("seconds").size(), false, null));
        }
        JsonNode v = answer.path("llama_cpp"), c = answer.path("context");
        return new Result(gguf.toString(), "llama.cpp " + v.path("release").asText() + " (node-llama-cpp " + v.path("node_llama_cpp").asText() + ", "
                + v.path("build").asText() + ")", v.path("system_info").asText().strip(), c.path("threads").asInt(), c.path("kv_key_type").asText(),
                c.path("flash_attention").asText(), out);
    }
}
