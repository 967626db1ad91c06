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
        return new BenchReport("m", 2, COST, W, shallow, 1L << 30, torch, null, 100.0, 10.0, pruned, null);
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
        // decode: 10 tok/s x 2 MB = 0.02 GB/s, 0.2% of 10 GB/s; train: 20 tok/s x 2 (3 x 1e6 + 2 x 1e5) FLOP
        assertEquals(0.02, rows.get(1).achieved(), 1e-12);
        assertEquals(0.2, rows.get(1).percentOfLimit(), 1e-9);
        assertEquals(20 * 2 * 3.2e6 / 1e9, rows.get(3).achieved(), 1e-12);
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
    void theJsonHoldsEverything() {
        JsonNode json = report().toJson();
        assertEquals(1L << 30, json.path("shallow_peak_rss_bytes").asLong());
        assertEquals(3L << 30, json.path("torch").path("peakRssBytes").path("float32").asLong());
        assertEquals(3.0, json.path("shallow").path("eval_8req").path("perSecond").asDouble());
        assertEquals(3, json.path("pruned").size());
        assertEquals(1.3, json.path("pruned").get(1).path("prefill_speedup").asDouble(), 1e-12);
        assertEquals(4.0 / 3, json.path("pruned").get(1).path("ideal_speedup").asDouble(), 1e-12);
        assertEquals(4, json.path("rows").size());
    }
}
