package dev.shallow.heal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import dev.shallow.analysis.CalibrationLoss;
import dev.shallow.analysis.Progress;
import dev.shallow.data.DocumentSource;
import dev.shallow.io.Checkpoint;
import dev.shallow.io.SafetensorsFile;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.tensor.Tensor;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.MemoryBudget;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

    /**
     * Per family, the names PEFT writes: stories260K (Llama: q_proj .. down_proj), Phi-3 (one adapter on each fused
     * qkv_proj and gate_up_proj, B [q + 2 kv, r] and [2 ffn, r]), Phi-2 (q_proj, k_proj, v_proj, dense, fc1, fc2).
     * The merged model: F32 checkpoints merge exactly (loss within 1e-6 of base + adapter); Phi-3's BF16 weights are
     * rounded to BF16 after the merge, which moves the loss by up to {@code mergedTol} (measured 1.8e-3 on 3 stories).
     */
    @ParameterizedTest
    @CsvSource({"stories260K, 5, 'q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj', 'self_attn.q_proj:64', 1e-6",
            "tiny-phi3-random, 10, 'qkv_proj,o_proj,gate_up_proj,down_proj', 'self_attn.qkv_proj:256', 5e-3",
            "tiny-phi-random, 10, 'q_proj,k_proj,v_proj,dense,fc1,fc2', 'self_attn.dense:128', 1e-6"})
    void peftAppliesTheAdapterAndTheMergedModelIsBasePlusAdapter(String name, int layers, String modules, String sample, double mergedTol,
                                                                 @TempDir Path tmp) throws Exception {
        Path base = Shared.model(name), out = tmp.resolve("out");
        HealOptions o = HealerTest.options(HealerTest.stories(tmp, 8), 2, 64, 1, 6, false);
        Healer.run(base, o, Shared.root().resolve("data"), out, false, 0, 0, true, HealerTest.QUIET);
        JsonNode config = JSON.readTree(out.resolve(PeftAdapter.CONFIG).toFile());
        assertEquals(List.of(modules.split(",")), JSON.convertValue(config.path("target_modules"), List.class), "all-linear resolved");
        String[] s = sample.split(":");
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve(PeftAdapter.WEIGHTS))) {
            assertEquals(2L * layers * modules.split(",").length, f.tensors().size());
            String prefix = "base_model.model.model.layers." + (layers - 1) + "." + s[0];
            assertArrayEquals(new long[]{o.rank(), ModelConfig.load(base).hiddenSize()}, f.tensor(prefix + ".lora_A.weight").shape());
            assertArrayEquals(new long[]{Long.parseLong(s[1]), o.rank()}, f.tensor(prefix + ".lora_B.weight").shape());
        }
        Tokenizer tok = Tokenizer.load(base);
        List<String> held = DocumentSource.ofFile(Shared.root().resolve("data/stories260K-samples/heldout.jsonl"), "text").read().subList(0, 3);
        int[][] seqs = held.stream().map(doc -> Arrays.copyOf(tok.encode(doc, true), 80)).toArray(int[][]::new);

        double adapter, merged;
        try (Model model = Model.load(base); Model m = Model.load(out.resolve(Healer.MERGED))) {
            TrainableModel tm = new TrainableModel(Base.dense(model), Transformer.allLayers(layers), o.lora(), Precision.FLOAT32, false);
            PeftAdapter.readWeights(out.resolve(PeftAdapter.WEIGHTS), tm.parameters());
            adapter = Healer.loss(tm, seqs);
            merged = CalibrationLoss.of(new Transformer(m), seqs, 3, MemoryBudget.DEFAULT, Progress.NONE, "loss");
        }
        JsonNode ref = peftCheck(base, out, out.resolve(Healer.MERGED), seqs, tmp);
        System.out.printf("%s + adapter, 3 stories: reference base %.6f, adapter %.6f, merged %.6f; Shallow adapter %.6f, merged %.6f%n",
                name, ref.path("base").asDouble(), ref.path("adapter").asDouble(), ref.path("merged").asDouble(), adapter, merged);
        assertEquals(layers * modules.split(",").length, ref.path("modules").asInt(), "every module of every layer");
        assertTrue(Math.abs(ref.path("adapter").asDouble() - ref.path("base").asDouble()) > 1e-3, "the adapter matters");
        assertEquals(ref.path("adapter").asDouble(), adapter, 1e-5, "Shallow's base + adapter");
        assertEquals(ref.path("adapter").asDouble(), ref.path("merged").asDouble(), mergedTol, "merged = base + adapter");
        assertEquals(ref.path("merged").asDouble(), merged, 1e-5, "the merged model in Shallow");
    }

    /**
     * BF16 checkpoints: tiny-qwen2-random (sharded, biases, untied head) and tiny-phi3-random (fused qkv_proj and
     * gate_up_proj, each merged with its one adapter's B [rows of the fused tensor, r]): each merged weight is
     * W + s B A rounded to BF16 (within half a BF16 step: 8 significant bits, so 2^-8 relative), every other tensor
     * is copied byte for byte, in the same shards (and the same index), and the result loads.
     */
    @ParameterizedTest
    @CsvSource({"tiny-qwen2-random, 12", "tiny-phi3-random, 10"})
    void mergesIntoTheBaseDtypeAndShards(String name, int layers, @TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("merged");
        LoraConfig lora = new LoraConfig(4, 8, 0, LoraConfig.ALL, 2);
        try (Model model = Model.load(Shared.model(name))) {
            TrainableModel tm = new TrainableModel(Base.dense(model), Transformer.allLayers(layers), lora, Precision.FLOAT32, false);
            Fixtures.randomiseB(tm, 3, 0.1);
            Merger.write(model, tm.adapters(), PeftAdapter.config(lora, tm.targets(), "tiny"), out);
            Map<String, Lora> adapted = new HashMap<>();
            for (Lora l : tm.adapters()) adapted.put("model.layers." + l.position() + "." + l.target().path() + ".weight", l);
            Checkpoint src = model.checkpoint();
            try (Checkpoint dst = Checkpoint.open(out)) {
                assertEquals(src.names(), dst.names());
                double worst = 0;
                for (String n : src.names()) {
                    assertEquals(src.file(n).path().getFileName(), dst.file(n).path().getFileName(), n);
                    Lora l = adapted.get(n);
                    if (l == null) {
                        assertEquals(-1, src.file(n).bytes(n).mismatch(dst.file(n).bytes(n)), n);
                        continue;
                    }
                    worst = Math.max(worst, worstRelativeError(src.tensor(n), dst.tensor(n), l));
                }
                System.out.printf("%s: %d weights merged to BF16: max |merged - (W + s B A)| / |W + s B A| = %.2e%n", name, adapted.size(), worst);
                assertTrue(worst <= 0x1p-8, "within half a BF16 step: " + worst);
            }
            Path index = model.dir().resolve(Checkpoint.INDEX);
            if (Files.exists(index)) assertArrayEquals(Files.readAllBytes(index), Files.readAllBytes(out.resolve(Checkpoint.INDEX)));
        }
        try (Model merged = Model.load(out)) {
            assertEquals(layers, merged.config().numLayers());
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
