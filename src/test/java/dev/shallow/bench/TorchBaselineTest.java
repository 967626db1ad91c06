package dev.shallow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import dev.shallow.io.AtomicFiles;
import dev.shallow.model.Model;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The PyTorch baseline is a correct Llama (golden logits), and its results reach Java. Needs python3-torch. */
class TorchBaselineTest {
    static final Path SCRIPT = Path.of("scripts/bench_torch.py");
    static final Workload SMALL = Workload.random(512, 1, new Workload.Sizes(16, 24, 2, 32, 4, 3, 2, 4, 20, 40, 3, 1, 16));
    static final List<String> ALL = List.of("prefill_1x16", "prefill_1x24", "prefill_2x32", "decode", "eval_8req", "train_1x16");

    @Test
    void float32LogitsMatchTheGoldenReferenceWithAndWithoutTheCache() throws Exception {
        for (String model : List.of("stories260K", "stories-16L")) {
            Process p = new ProcessBuilder("/usr/bin/python3", SCRIPT.toString(), "--check", Shared.model(model).toString(),
                    Shared.golden(model).toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            // tolerance 1e-4: the README's recommendation for a float32 forward (refllama float32 is within 1.7e-5)
            assertEquals(0, p.waitFor(), model + ": " + out);
            assertTrue(out.contains("\"ok\": true"), out);
        }
    }

    @Test
    void runsEveryWorkloadForBothDtypesTrainingInBfloat16AsAutocast() {
        TorchBaseline torch = new TorchBaseline("/usr/bin/python3", SCRIPT);
        assertNull(torch.unavailableReason());
        TorchBaseline.Result r = torch.run(Shared.model("stories260K"), SMALL, ALL, 2, 1, 30);
        assertEquals(2, r.threads());
        assertEquals(List.of("float32", "bfloat16"), List.copyOf(r.byDtype().keySet()));
        assertEquals(ALL, List.copyOf(r.byDtype().get("float32").keySet()));
        assertEquals(ALL, List.copyOf(r.byDtype().get("bfloat16").keySet()), "bfloat16 trains too, as torch.autocast mixed precision");
        for (Map<String, Measurement> m : r.byDtype().values()) {
            m.values().forEach(x -> assertTrue(x.perSecond() > 0 && x.runs() == 1 && !x.estimated()));
        }
        // each dtype in its own process: a peak RSS each, beyond the interpreter's and torch's own ~100 MB
        for (String dtype : TorchBaseline.DTYPES) assertTrue(r.peakRssBytes().get(dtype) > 50L << 20, r.peakRssBytes().toString());
    }

    @Test
    void runsOnlyTheNamedWorkloads() {
        TorchBaseline.Result r = new TorchBaseline("/usr/bin/python3", SCRIPT).run(Shared.model("stories260K"), SMALL, List.of("decode"), 2, 1, 30);
        for (Map<String, Measurement> m : r.byDtype().values()) assertEquals(List.of("decode"), List.copyOf(m.keySet()));
    }

    /**
     * The eval workload's two sides compute the same numbers: Shallow's TransformerLM (shared contexts, batched by tokens)
     * and the torch script's padded batches (every sequence in full), within 1e-3 nats (float32 logits on both sides).
     */
    @Test
    void evalLogLikelihoodsAgreeWithTorch() throws Exception {
        Path file = Files.createTempFile("bench-eval", ".json");
        try (Model model = Model.load(Shared.model("stories260K"))) {
            AtomicFiles.writeJson(file, SMALL.toJson());
            Process p = new ProcessBuilder("/usr/bin/python3", SCRIPT.toString(), "--score", Shared.model("stories260K").toString(),
                    "--workload", file.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), out);
            JsonNode torch = new ObjectMapper().readTree(out).path("loglikelihoods");
            double[] shallow = new Bench(new Transformer(model), 1, 1, (n, u, m) -> {
            }).evalModel().logLikelihoods(SMALL.eval().requests());
            assertEquals(SMALL.eval().size(), torch.size());
            for (int i = 0; i < shallow.length; i++) {
                assertTrue(shallow[i] < -1, "request " + i + " scores " + shallow[i]);
                assertEquals(torch.get(i).asDouble(), shallow[i], 1e-3, "request " + i);
            }
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void readsAnEstimatedWorkloadAndThePeakMemory() throws IOException {
        TorchBaseline.Result r = TorchBaseline.parse("{\"torch\": \"1.13\", \"threads\": 2, \"peak_rss_bytes\": 2048, \"results\":"
                + " {\"bfloat16\": {\"decode\": {\"per_s\": 0.5, \"estimated\": true, \"note\": \"not run\"}}}}");
        Measurement m = r.byDtype().get("bfloat16").get("decode");
        assertEquals(new Measurement(0.5, 0, 0, true, "not run"), m);
        assertEquals(Map.of("bfloat16", 2048L), r.peakRssBytes());
    }
}
