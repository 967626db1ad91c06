package dev.shallow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code shallow bench --gguf}: Shallow and llama.cpp (tools/llamacpp; fails when it is not installed) on the same GGUF in one run;
 * on 1 thread, since llama.cpp's spinning threads crawl on a busy machine (README, Against llama.cpp).
 */
class BenchLlamaCppTest {
    static final Path GGUF = Shared.root().resolve("real/stories260K-gguf/stories260K.gguf");

    @TempDir
    Path tmp;

    static JsonNode bench(Path out, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--gguf", GGUF.toString(), "--threads", "1", "--repeats", "1", "--out", out.toString()));
        args.addAll(List.of(extra));
        assertEquals(0, new CommandLine(new BenchCommand()).execute(args.toArray(String[]::new)));
        return new ObjectMapper().readTree(out.toFile());
    }

    @Test
    void llamaCppRunsPrefillAndDecodeBesideShallow() throws Exception {
        JsonNode json = bench(tmp.resolve("bench.json"), "--workloads", "prefill128,prefill512,decode,eval");
        assertEquals(GGUF.toString(), json.path("model").asText());
        assertTrue(json.path("torch_skipped").asText().contains("--gguf without --model"), json.path("torch_skipped").asText());
        assertTrue(json.path("llama_cpp_skipped").isNull(), json.path("llama_cpp_skipped").asText());
        JsonNode lc = json.path("llama_cpp");
        assertEquals(1, lc.path("threads").asInt(), "--threads");
        assertEquals("F32", lc.path("kvCacheType").asText());
        List<String> withLlamaCpp = new ArrayList<>();
        for (JsonNode row : json.path("rows")) {
            double llama = row.path("llamaCpp").path("perSecond").asDouble(0);
            if (llama == 0) {
                assertTrue(row.path("vsLlamaCpp").isNull() || row.path("vsLlamaCpp").asText().equals("NaN"), row.toString());
                continue;
            }
            withLlamaCpp.add(row.path("workload").asText());
            assertEquals(row.path("shallow").path("perSecond").asDouble() / llama, row.path("vsLlamaCpp").asDouble(), 1e-9);
            assertEquals(llama, lc.path("byWorkload").path(row.path("workload").asText()).path("perSecond").asDouble());
        }
        assertEquals(List.of("prefill_1x128", "prefill_1x512", "decode"), withLlamaCpp);
    }

    @Test
    void llamaCppIsSkippedWhenAskedOrWithoutAGguf() throws Exception {
        JsonNode json = bench(tmp.resolve("no.json"), "--workloads", "decode", "--no-llamacpp");
        assertEquals("--no-llamacpp", json.path("llama_cpp_skipped").asText());
        assertTrue(json.path("llama_cpp").isNull());
        json = bench(tmp.resolve("eval.json"), "--workloads", "eval");
        assertTrue(json.path("llama_cpp_skipped").asText().contains("no workload llama.cpp runs"), json.toString());
    }
}
