package dev.shallow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCommandTest {
    @TempDir
    Path tmp;

    static JsonNode bench(Path out, String... extra) throws Exception {
        List<String> all = new ArrayList<>(List.of("--model", "models/stories260K", "--out", out.toString(), "--peak-gflops", "100", "--bandwidth-gbs", "10"));
        if (!List.of(extra).contains("--repeats")) all.addAll(List.of("--repeats", "1"));
        all.addAll(List.of(extra));
        assertEquals(0, new CommandLine(new BenchCommand()).execute(all.toArray(String[]::new)));
        return new ObjectMapper().readTree(out.toFile());
    }

    @Test
    void measuresShallowAloneAndWritesTheJson() throws Exception {
        JsonNode json = bench(tmp.resolve("bench.json"), "--no-torch");
        assertEquals("--no-torch", json.path("torch_skipped").asText());
        List<String> workloads = new ArrayList<>();
        for (JsonNode row : json.path("rows")) {
            workloads.add(row.path("workload").asText());
            assertTrue(row.path("shallow").path("perSecond").asDouble() > 0);
            assertTrue(row.path("percentOfLimit").asDouble() > 0);
        }
        assertEquals(List.of("prefill_1x128", "prefill_1x512", "prefill_8x256", "decode", "eval_16req", "train_1x128"), workloads);
        assertTrue(json.path("shallow_peak_rss_bytes").asLong() > 1 << 20);
        JsonNode pruned = json.path("pruned");
        assertEquals(List.of(5, 4, 2), List.of(pruned.get(0).path("layers").asInt(), pruned.get(1).path("layers").asInt(),
                pruned.get(2).path("layers").asInt()));
        for (JsonNode p : pruned) assertTrue(p.path("decode").path("perSecond").asDouble() > 0 && p.path("prefill_speedup").asDouble() > 0);
        JsonNode analyse = json.path("analyse");
        assertEquals("analyse_4x256", analyse.path("workload").asText());
        double plain = analyse.path("plain_forward").path("perSecond").asDouble();
        double analysis = analyse.path("analysis_pass").path("perSecond").asDouble();
        assertTrue(plain > 0 && analysis > 0, analyse.toString());
        assertEquals(plain / analysis, analyse.path("time_ratio").asDouble(), 1e-9);
    }

    @Test
    void runsOnlyTheSelectedWorkloads() throws Exception {
        JsonNode json = bench(tmp.resolve("bench.json"), "--workloads", "analyse");
        assertEquals(0, json.path("rows").size());
        assertTrue(json.path("torch_skipped").asText().contains("no workload PyTorch runs"), json.toString());
        assertTrue(json.path("analyse").isObject());
        json = bench(tmp.resolve("decode.json"), "--workloads", "decode", "--no-torch");
        assertEquals("decode", json.path("rows").get(0).path("workload").asText());
        assertEquals(1, json.path("rows").size());
        assertTrue(json.path("analyse").isMissingNode());
    }

    @Test
    void anUnknownWorkloadIsRefused() {
        CliTest.Run r = CliTest.run("bench", "--model", "models/stories260K", "--no-torch", "--workloads", "prefill,decode",
                "--out", tmp.resolve("bench.json").toString());
        CliTest.assertOneLineError(r, "--workloads", "'prefill'", "prefill128");
    }

    /**
     * The gguf workload: the checkpoint written as GGUF at each --gguf-dtypes type (bench-cache/, reused when newer than the
     * checkpoint), and Shallow's and llama.cpp's prefill and decode on each file, once per round (--repeats 2: two runs each).
     */
    @Test
    void theGgufWorkloadConvertsAndRunsBothEngines() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        JsonNode json;
        try {
            System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
            json = bench(tmp.resolve("gguf.json"), "--workloads", "gguf", "--no-torch", "--gguf-dtypes", "bf16,q8_0", "--repeats", "2");
        } finally {
            System.setErr(err);
        }
        // the rounds interleave: each engine on each file once per round
        List<String> order = new ArrayList<>();
        for (String line : log.toString(StandardCharsets.UTF_8).split("\n")) {
            var m = Pattern.compile("^bench: (Shallow|llama\\.cpp) on .*-(bf16|q8_0)\\.gguf \\(.*round (\\d) of 2\\)").matcher(line);
            if (m.find()) order.add(m.group(1) + " " + m.group(2) + " " + m.group(3));
        }
        assertEquals(List.of("Shallow bf16 1", "llama.cpp bf16 1", "Shallow q8_0 1", "llama.cpp q8_0 1",
                "Shallow bf16 2", "llama.cpp bf16 2", "Shallow q8_0 2", "llama.cpp q8_0 2"), order, log.toString(StandardCharsets.UTF_8));
        JsonNode files = json.path("gguf").path("files");
        assertEquals(2, files.size(), json.toString());
        for (JsonNode f : files) {
            try (dev.shallow.io.GgufFile g = dev.shallow.io.GgufFile.open(Path.of(f.path("file").asText()))) {
                assertEquals(f.path("dtype").asText().equals("q8_0") ? 7 : 32, g.metadata().longValue("general.file_type"), f.toString());
            }
            for (String m : List.of("shallowPrefill", "shallowDecode", "llamaPrefill", "llamaDecode")) {
                assertTrue(f.path(m).path("perSecond").asDouble() > 0, m + ": " + f);
                assertEquals(2, f.path(m).path("runs").asInt(), m + ": " + f);
            }
        }
        assertEquals(files.get(1).path("shallowDecode").path("perSecond").asDouble() / files.get(0).path("shallowDecode").path("perSecond").asDouble(),
                json.path("gguf").path("shallow_decode_q8_0_over_bf16").asDouble(), 1e-9);
        assertEquals(0, json.path("rows").size());
    }

    /** With --gguf-remove-attention / --gguf-remove-mlp the gguf workload also writes and runs the deci file beside each type's file. */
    @Test
    void theGgufWorkloadRunsTheSubBlockPrunedFileBeside() throws Exception {
        JsonNode json = bench(tmp.resolve("sub.json"), "--workloads", "gguf", "--no-torch", "--no-llamacpp", "--gguf-dtypes", "f32",
                "--gguf-remove-attention", "2", "--gguf-remove-mlp", "3");
        JsonNode files = json.path("gguf").path("files");
        assertEquals(List.of("f32", "f32-sub"), List.of(files.get(0).path("dtype").asText(), files.get(1).path("dtype").asText()));
        assertEquals("attention of 2, MLP of 3", json.path("gguf").path("sub_blocks_removed").asText());
        try (dev.shallow.io.GgufFile g = dev.shallow.io.GgufFile.open(Path.of(files.get(1).path("file").asText()))) {
            assertEquals("deci", g.metadata().string("general.architecture"));
        }
        assertTrue(files.get(1).path("shallowDecode").path("perSecond").asDouble() > 0);
    }
}
