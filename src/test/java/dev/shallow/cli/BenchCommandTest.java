package dev.shallow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCommandTest {
    @TempDir
    Path tmp;

    @Test
    void measuresShallowAloneAndWritesTheJson() throws Exception {
        Path out = tmp.resolve("bench.json");
        int rc = new CommandLine(new BenchCommand()).execute("--model", "models/stories260K", "--no-torch", "--repeats", "1",
                "--out", out.toString(), "--peak-gflops", "100", "--bandwidth-gbs", "10");
        assertEquals(0, rc);
        JsonNode json = new ObjectMapper().readTree(out.toFile());
        assertEquals("--no-torch", json.path("torch_skipped").asText());
        List<String> workloads = new ArrayList<>();
        for (JsonNode row : json.path("rows")) {
            workloads.add(row.path("workload").asText());
            assertTrue(row.path("shallow").path("tokensPerSecond").asDouble() > 0);
            assertTrue(row.path("percentOfLimit").asDouble() > 0);
        }
        assertEquals(List.of("prefill_1x128", "prefill_8x256", "decode"), workloads);
    }
}
