package dev.shallow.heal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import dev.shallow.analysis.CalibrationLoss;
import dev.shallow.analysis.Progress;
import dev.shallow.data.DocumentSource;
import dev.shallow.io.Checkpoint;
import dev.shallow.model.Model;
import dev.shallow.tensor.Tensor;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.MemoryBudget;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The adapter as PEFT reads it and the merged model, checked outside Shallow: peft_check.py
 * (src/test/resources/heal) applies adapter_model.safetensors by PEFT's names and adapter_config.json
 * to the base model in ../shared/tools/refllama.py (float64), and loads the merged model there too.
 * Shallow's losses are float32: within 1e-5 of the reference's (the golden loss tolerance is 1e-4).
 */
class PeftAdapterTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void peftAppliesTheAdapterAndTheMergedModelIsBasePlusAdapter(@TempDir Path tmp) throws Exception {
        Path base = Shared.model("stories260K"), out = tmp.resolve("out");
        HealOptions o = HealerTest.options(HealerTest.stories(tmp, 8), 2, 64, 1, 6, false);
        Healer.run(base, o, Shared.root().resolve("data"), out, false, 0, 0, true, HealerTest.QUIET);
        Tokenizer tok = Tokenizer.load(base);
        List<String> held = DocumentSource.ofFile(Shared.root().resolve("data/stories260K-samples/heldout.jsonl"), "text").read().subList(0, 3);
        int[][] seqs = held.stream().map(doc -> Arrays.copyOf(tok.encode(doc, true), 80)).toArray(int[][]::new);

        double adapter, merged;
        try (Model model = Model.load(base); Model m = Model.load(out.resolve(Healer.MERGED))) {
            TrainableModel tm = new TrainableModel(Base.dense(model), Transformer.allLayers(5), o.lora(), Precision.FLOAT32, false);
            PeftAdapter.readWeights(out.resolve(PeftAdapter.WEIGHTS), tm.parameters());
            adapter = Healer.loss(tm, seqs);
            merged = CalibrationLoss.of(new Transformer(m), seqs, 3, MemoryBudget.DEFAULT, Progress.NONE, "loss");
        }
        JsonNode ref = peftCheck(base, out, out.resolve(Healer.MERGED), seqs, tmp);
        System.out.printf("stories260K + adapter, 3 stories: reference base %.6f, adapter %.6f, merged %.6f; Shallow adapter %.6f, merged %.6f%n",
                ref.path("base").asDouble(), ref.path("adapter").asDouble(), ref.path("merged").asDouble(), adapter, merged);
        assertEquals(35, ref.path("modules").asInt(), "7 projections x 5 layers");
        assertTrue(Math.abs(ref.path("adapter").asDouble() - ref.path("base").asDouble()) > 1e-3, "the adapter matters");
        assertEquals(ref.path("adapter").asDouble(), adapter, 1e-5, "Shallow's base + adapter");
        assertEquals(ref.path("adapter").asDouble(), ref.path("merged").asDouble(), 1e-6, "merged F32 = base + adapter");
        assertEquals(ref.path("adapter").asDouble(), merged, 1e-5, "the merged model in Shallow");
    }

    /**
     * tiny-qwen2-random (BF16, sharded, biases, untied head): each merged weight is W + s B A rounded
     * to BF16 (within half a BF16 step: 8 significant bits, so 2^-8 relative), every other tensor is copied byte for byte,
     * in the same shards, and the result loads.
     */
    @Test
    void mergesIntoTheBaseDtypeAndShards(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("merged");
        LoraConfig lora = new LoraConfig(4, 8, 0, LoraConfig.ALL, 2);
        try (Model model = Model.load(Shared.model("tiny-qwen2-random"))) {
            TrainableModel tm = new TrainableModel(Base.dense(model), Transformer.allLayers(12), lora, Precision.FLOAT32, false);
            Fixtures.randomiseB(tm, 3, 0.1);
            Merger.write(model, tm.adapters(), PeftAdapter.config(lora, tm.targets(), "tiny"), out);
            Map<String, Lora> adapted = new HashMap<>();
            for (Lora l : tm.adapters()) adapted.put("model.layers." + l.position() + "." + l.target().path() + ".weight", l);
            Checkpoint src = model.checkpoint();
            try (Checkpoint dst = Checkpoint.open(out)) {
                assertEquals(src.names(), dst.names());
                double worst = 0;
                for (String name : src.names()) {
                    assertEquals(src.file(name).path().getFileName(), dst.file(name).path().getFileName(), name);
                    Lora l = adapted.get(name);
                    if (l == null) {
                        assertEquals(-1, src.file(name).bytes(name).mismatch(dst.file(name).bytes(name)), name);
                        continue;
                    }
                    worst = Math.max(worst, worstRelativeError(src.tensor(name), dst.tensor(name), l));
                }
                System.out.printf("tiny-qwen2-random merged to BF16: max |merged - (W + s B A)| / |W + s B A| = %.2e%n", worst);
                assertTrue(worst <= 0x1p-8, "within half a BF16 step: " + worst);
            }
            assertArrayEquals(Files.readAllBytes(model.dir().resolve(Checkpoint.INDEX)), Files.readAllBytes(out.resolve(Checkpoint.INDEX)));
        }
        try (Model merged = Model.load(out)) {
            assertEquals(12, merged.config().numLayers());
        }
    }

    private static double worstRelativeError(Tensor w, Tensor merged, Lora l) {
        int cols = w.cols(), r = l.a().rows();
        double worst = 0, moved = 0;
        for (int o = 0; o < w.rows(); o++) {
            for (int i = 0; i < cols; i++) {
                double ba = 0;
                for (int k = 0; k < r; k++) ba += (double) l.b().value()[o * r + k] * l.a().value()[k * cols + i];
                double want = w.get((long) o * cols + i) + l.scaling() * ba, got = merged.get((long) o * cols + i);
                worst = Math.max(worst, Math.abs(got - want) / Math.abs(want));
                moved = Math.max(moved, Math.abs(got - w.get((long) o * cols + i)));
            }
        }
        assertTrue(moved > 1e-3, "the adapter moved the weight");
        return worst;
    }

    /** Runs peft_check.py; returns its {"base", "adapter", "merged", "modules"}. */
    static JsonNode peftCheck(Path base, Path adapter, Path merged, int[][] seqs, Path tmp) throws Exception {
        Path in = tmp.resolve("request.json"), out = tmp.resolve("response.json");
        JSON.writeValue(in.toFile(), Map.of("sequences", seqs));
        Path script = Path.of(PeftAdapterTest.class.getResource("/heal/peft_check.py").toURI());
        Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), Shared.root().resolve("tools").toString(), base.toString(),
                adapter.toString(), merged.toString(), in.toString(), out.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IOException("peft_check.py failed (is python3-torch installed?):\n" + log);
        return JSON.readTree(out.toFile());
    }
}
