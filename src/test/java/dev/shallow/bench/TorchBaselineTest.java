package dev.shallow.bench;

import dev.shallow.Shared;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The PyTorch baseline is a correct Llama (golden logits), and its results reach Java. Needs python3-torch. */
class TorchBaselineTest {
    static final Path SCRIPT = Path.of("scripts/bench_torch.py");

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
    void runsEveryWorkloadForBothDtypes() {
        TorchBaseline torch = new TorchBaseline("/usr/bin/python3", SCRIPT);
        assertNull(torch.unavailableReason());
        Workload w = Workload.random(512, 1, 16, 2, 32, 4, 3);
        TorchBaseline.Result r = torch.run(Shared.model("stories260K"), w, List.of("prefill_1x16", "prefill_2x32", "decode"), 2, 1, 30);
        assertEquals(2, r.threads());
        assertEquals(List.of("float32", "bfloat16"), List.copyOf(r.byDtype().keySet()));
        for (Map<String, Measurement> m : r.byDtype().values()) {
            assertEquals(List.of("prefill_1x16", "prefill_2x32", "decode"), List.copyOf(m.keySet()));
            m.values().forEach(x -> assertTrue(x.tokensPerSecond() > 0 && x.runs() == 1 && !x.estimated()));
        }
    }

    @Test
    void runsOnlyTheNamedWorkloads() {
        TorchBaseline.Result r = new TorchBaseline("/usr/bin/python3", SCRIPT)
                .run(Shared.model("stories260K"), Workload.random(512, 1, 16, 2, 32, 4, 3), List.of("decode"), 2, 1, 30);
        for (Map<String, Measurement> m : r.byDtype().values()) assertEquals(List.of("decode"), List.copyOf(m.keySet()));
    }

    @Test
    void readsAnEstimatedWorkload() throws IOException {
        TorchBaseline.Result r = TorchBaseline.parse("{\"torch\": \"1.13\", \"threads\": 2, \"results\": {\"bfloat16\": {\"decode\":"
                + " {\"tok_s\": 0.5, \"estimated\": true, \"note\": \"not run\"}}}}");
        Measurement m = r.byDtype().get("bfloat16").get("decode");
        assertEquals(new Measurement(0.5, 0, 0, true, "not run"), m);
    }
}
