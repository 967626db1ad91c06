package dev.shallow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchReportTest {
    static final Workload W = Workload.random(100, 1, new Workload.Sizes(16, 32, 2, 8, 4, 2, 2, 4, 10, 20, 1, 1, 8));
    static final WeightCost COST = new WeightCost(1_000_000, 100_000, 2_000_000);

    static Measurement rate(double perSecond) {
        return new Measurement(perSecond, 1, 1, false, null);
    }

    static BenchReport report() {
        Map<BenchPart, Measurement> shallow = new EnumMap<>(BenchPart.class);
        shallow.put(BenchPart.PREFILL, rate(60));
        shallow.put(BenchPart.DECODE, rate(10));
        shallow.put(BenchPart.EVAL, rate(3));
        shallow.put(BenchPart.TRAIN, rate(20));
        Map<String, Measurement> f32 = new LinkedHashMap<>(), bf16 = new LinkedHashMap<>();
        f32.put("prefill_1x16", rate(30));
        f32.put("decode", rate(2));
        f32.put("eval_8req", rate(1.5));
        f32.put("train_1x8", rate(10));
        bf16.put("prefill_1x16", new Measurement(0.5, 0, 0, true, "not run: projected"));
        bf16.put("decode", rate(4));
        bf16.put("eval_8req", new Measurement(0.0012, 0, 0, true, "not run: projected"));
        TorchBaseline.Result torch = new TorchBaseline.Result("1.13", 2, Map.of("float32", f32, "bfloat16", bf16),
                Map.of("float32", 3L << 30, "bfloat16", 2L << 30));
        LayerRemoval quarter = LayerRemoval.deepestExceptLast("0.25", 4), half = LayerRemoval.deepestExceptLast("0.5", 4);
        List<PrunedSpeed> pruned = List.of(new PrunedSpeed(LayerRemoval.none(4), rate(60), rate(10)),
                new PrunedSpeed(quarter, rate(78), rate(13)), new PrunedSpeed(half, rate(114), rate(19)));
        LlamaCppBaseline.Result llamaCpp = new LlamaCppBaseline.Result("m.gguf", "llama.cpp vX", "AVX2 = 1", 2, "F32", "auto",
                Map.of("prefill_1x16", rate(40), "decode", rate(20)));
        return new BenchReport("m", 2, COST, W, shallow, 1L << 30, torch, null, 100.0, 10.0, pruned, null, null, llamaCpp, null, null, Map.of(), List.of());
    }

    /** Window 2: contexts of 4, 8 and 16 tokens. */
    static final SlidingShape SLIDING = new SlidingShape(new ModelShape("tiny", 1, 8, 16, 2, 2, 10, 16, 10000.0, 1e-5), 2);

    static BenchReport slidingOnly() {
        SlidingSpeed s = new SlidingSpeed(SLIDING, List.of(new SlidingPrefill(4, rate(100), rate(80), 3L << 20, 8L << 20),
                new SlidingPrefill(8, rate(95), rate(60), 3L << 20, 16L << 20), new SlidingPrefill(16, rate(90), rate(40), 3L << 20, 32L << 20)));
        return new BenchReport(null, 2, null, null, Map.of(), 1L << 30, null, "--no-torch", null, null, List.of(), null, s, null, "no GGUF", null, Map.of(), List.of());
    }

    @Test
    void theIdealRatioCountsTheKeysEachQuerySees() {
        // T = 4, W = 2: the queries see 1 + 2 + 2 + 2 = 7 keys, against 1 + 2 + 3 + 4 = 10 with full attention
        assertEquals(7, SLIDING.visibleKeys(4));
        assertEquals(0.7, SLIDING.idealKeyRatio(4), 1e-12);
        // T = 8: 1 + 7 x 2 = 15 of 36; T <= W: every key, as full attention
        assertEquals(15.0 / 36, SLIDING.idealKeyRatio(8), 1e-12);
        assertEquals(1.0, SLIDING.idealKeyRatio(2), 1e-12);
        assertEquals(List.of(4, 8, 16), SLIDING.contexts());
    }

    @Test
    void theSlidingTableComparesTimesWithTheIdealAndTheCaches() {
        BenchReport r = slidingOnly();
        // 4 tokens: sliding 100 tok/s, full 80 -> sliding takes 0.8 of the time; per token 4 -> 16: sliding 100/90, full 80/40
        assertEquals(0.8, r.sliding().prefills().getFirst().timeRatio(), 1e-12);
        assertEquals(100.0 / 90, r.sliding().perTokenGrowth(SlidingPrefill::sliding), 1e-12);
        assertEquals(2.0, r.sliding().perTokenGrowth(SlidingPrefill::full), 1e-12);
        String table = r.table();
        assertTrue(table.matches("(?s)context .*\\n4 \\(2W\\) +100\\.0 +80\\.0 +0\\.80x +0\\.70x +3\\.00 MiB +8\\.00 MiB\\n.*"), table);
        assertTrue(table.matches("(?s).*\\n16 \\(8W\\) +90\\.0 +40\\.0 +0\\.44x +0\\.23x +3\\.00 MiB +32\\.00 MiB\\n.*"), table);
        assertTrue(table.contains("Time per token from 2W to 8W: sliding x1.11 "), table);
        assertTrue(table.contains("full x2.00 (O(T^2))"), table);
        assertTrue(table.matches("(?s).*\\n2 threads; best of .*"), table);
        JsonNode json = r.toJson().path("sliding");
        assertEquals(2, json.path("window").asInt());
        assertEquals(3, json.path("prefills").size());
        JsonNode first = json.path("prefills").get(0);
        assertEquals(4, first.path("tokens").asInt());
        assertEquals(0.8, first.path("time_ratio").asDouble(), 1e-12);
        assertEquals(0.7, first.path("ideal_ratio").asDouble(), 1e-12);
        assertEquals(80.0, first.path("full").path("perSecond").asDouble());
        assertEquals(3L << 20, first.path("sliding_layer_kv_bytes").asLong());
        assertEquals(8L << 20, first.path("full_layer_kv_bytes").asLong());
        assertEquals(2.0, json.path("full_per_token_growth").asDouble(), 1e-12);
    }

    @Test
    void rowsCompareWithTheFasterTorchPathInEachUnit() {
        List<BenchReport.Row> rows = report().rows();
        assertEquals(List.of("prefill_1x16", "decode", "eval_8req", "train_1x8"), rows.stream().map(BenchReport.Row::workload).toList());
        assertEquals(2.0, rows.get(0).vsTorch(), 1e-12);
        assertEquals("float32", rows.get(0).fasterTorch());
        assertEquals(2.5, rows.get(1).vsTorch(), 1e-12);
        assertEquals("bfloat16", rows.get(1).fasterTorch());
        assertEquals("req/s", rows.get(2).unit());
        assertEquals(2.0, rows.get(3).vsTorch(), 1e-12);
        // decode: 10 tok/s x 2 MB = 0.02 GB/s, 0.2% of 10 GB/s; train: 20 tok/s x 2 x 2 (1e6 + 1e5) FLOP (forward and input gradient)
        assertEquals(0.02, rows.get(1).achieved(), 1e-12);
        assertEquals(0.2, rows.get(1).percentOfLimit(), 1e-9);
        assertEquals(20 * 2 * 2 * 1.1e6 / 1e9, rows.get(3).achieved(), 1e-12);
    }

    @Test
    void theTableShowsRatiosEstimatesMemoryAndSpeedUps() {
        String table = report().table();
        assertTrue(table.matches("(?s).*prefill_1x16 +tok/s +60\\.0 +30\\.0 +~0\\.50 +2\\.00x .*"), table);
        assertTrue(table.matches("(?s).*eval_8req +req/s +3\\.00 +1\\.50 +~0\\.0012 +2\\.00x .*"), table);
        assertTrue(table.matches("(?s).*train_1x8 +tok/s +20\\.0 +10\\.0 +- +2\\.00x .*"), table);
        assertTrue(table.matches("(?s).*peak RSS +MiB +1024 +3072 +2048.*"), table);
        assertTrue(table.matches("(?s).*full +4 +- +60\\.0 +1\\.00x +10\\.0 +1\\.00x +1\\.00x.*"), table);
        assertTrue(table.matches("(?s).*-50% layers +2 +1-2 +114\\.0 +1\\.90x +19\\.0 +1\\.90x +2\\.00x.*"), table);
        assertTrue(table.contains("~ torch bfloat16 eval_8req: not run: projected"), table);
    }

    @Test
    void llamaCppIsComparedWhereItRan() {
        BenchReport r = report();
        List<BenchReport.Row> rows = r.rows();
        assertEquals(1.5, rows.get(0).vsLlamaCpp(), 1e-12); // prefill: 60 / 40
        assertEquals(0.5, rows.get(1).vsLlamaCpp(), 1e-12); // decode: 10 / 20
        assertTrue(Double.isNaN(rows.get(2).vsLlamaCpp()), "eval: llama.cpp does not run it");
        String table = r.table();
        assertTrue(table.matches("(?s).*prefill_1x16 +tok/s +60\\.0 +30\\.0 +~0\\.50 +2\\.00x +40\\.0 +1\\.50x .*"), table);
        assertTrue(table.matches("(?s).*decode +tok/s +10\\.0 +2\\.00 +4\\.00 +2\\.50x +20\\.0 +0\\.50x .*"), table);
        assertTrue(table.matches("(?s).*eval_8req +req/s +3\\.00 +1\\.50 +~0\\.0012 +2\\.00x +- +- .*"), table);
        assertTrue(table.contains("llama.cpp vX on m.gguf: 2 threads, F32 KV cache, flash attention auto"), table);
        JsonNode json = r.toJson();
        assertEquals(40.0, json.path("llama_cpp").path("byWorkload").path("prefill_1x16").path("perSecond").asDouble());
        assertEquals(1.5, json.path("rows").get(0).path("vsLlamaCpp").asDouble(), 1e-12);
    }

    @Test
    void theJsonHoldsEverything() {
        JsonNode json = report().toJson();
        assertEquals(1L << 30, json.path("shallow_peak_rss_bytes").asLong());
        assertEquals(3L << 30, json.path("torch").path("peakRssBytes").path("float32").asLong());
        assertEquals(3.0, json.path("shallow").path("eval_8req").path("perSecond").asDouble());
        assertEquals(3, json.path("pruned").size());
        assertEquals(1.3, json.path("pruned").get(1).path("prefill_speedup").asDouble(), 1e-12);
        assertEquals(4.0 / 3, json.path("pruned").get(1).path("ideal_speedup").asDouble(), 1e-12);
        assertEquals(4, json.path("rows").size());
        assertTrue(json.path("sliding").isMissingNode());
    }

    /** Like with like: Shallow bf16 beside PyTorch bfloat16 (no ratio against a projection), the platform lines first. */
    @Test
    void bf16IsComparedWithTorchBf16() {
        BenchReport base = report();
        Map<BenchPart, Measurement> bf16 = new EnumMap<>(BenchPart.class);
        bf16.put(BenchPart.PREFILL, rate(90));
        bf16.put(BenchPart.DECODE, rate(12));
        BenchReport r = new BenchReport(base.model(), 2, COST, W, base.shallow(), 1L << 30, base.torch(), null, 100.0, 10.0, base.pruned(), null,
                null, base.llamaCpp(), null, null, bf16, List.of("cpu           Test CPU"));
        List<BenchReport.Row> rows = r.rows();
        assertEquals(2.0, rows.get(0).f32VsTorchF32(), 1e-12); // 60 / 30
        assertTrue(Double.isNaN(rows.get(0).bf16VsTorchBf16()), "PyTorch bf16 prefill was projected");
        assertEquals(3.0, rows.get(1).bf16VsTorchBf16(), 1e-12); // decode: 12 / 4
        assertTrue(Double.isNaN(rows.get(2).bf16VsTorchBf16()), "no Shallow bf16 eval");
        String table = r.table();
        assertTrue(table.startsWith("cpu           Test CPU\n"), table);
        assertTrue(table.matches("(?s).*\\ndecode +tok/s +10\\.0 +2\\.00 +5\\.00x +12\\.0 +4\\.00 +3\\.00x\\n.*"), table);
        assertEquals(90.0, r.toJson().path("shallow_bf16").path("prefill_1x16").path("perSecond").asDouble());
    }
}
