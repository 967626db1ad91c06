package dev.shallow.cli;

import dev.shallow.Shared;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.GreedyRemoval;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code shallow analyse} in-process (until it is registered in Main, through picocli directly). */
class AnalyseCommandTest {
    static synchronized String run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            assertEquals(0, new CommandLine(new AnalyseCommand()).execute(args));
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void writesAnalysisAndPrintsSummary(@TempDir Path tmp) {
        Path out = tmp.resolve("analysis.json");
        String printed = run(Shared.model("stories260K").toString(), "--data", "stories", "--samples", "8", "--seq-len", "64",
                "--ablation", "--greedy", "loss", "--greedy-steps", "2", "--out", out.toString());
        Analysis a = Analysis.read(out);
        assertEquals(5, a.numLayers());
        assertEquals(5, a.ablationLoss().length);
        assertTrue(printed.contains("best block to drop for each n"), printed);
        assertTrue(printed.contains("lowest Block Influence"), printed);
        assertTrue(printed.contains("greedy removal by loss"), printed);
        assertEquals(2, a.greedy().get(GreedyRemoval.Metric.LOSS).size(), "the greedy order is stored");
        assertEquals(2, a.options().path("analysis").path("greedy_steps").asInt());
        assertEquals(8 * 64, a.options().path("calibration").path("tokens").asInt());
        // the same options give the same analysis (per-document layout, all-token d, as another option set)
        Path again = tmp.resolve("again.json");
        run(Shared.model("stories260K").toString(), "--data", "stories", "--samples", "8", "--seq-len", "64", "--ablation", "--out", again.toString());
        assertArrayEquals(a.blockInfluence(), Analysis.read(again).blockInfluence(), 1e-6);
        run(Shared.model("stories260K").toString(), "--samples", "4", "--per-document", "--angular-tokens", "all", "--out", again.toString());
        assertEquals("per-document", Analysis.read(again).options().path("calibration").path("layout").asText());
    }

    /** Through the whole CLI, so a bad option value (refused while parsing) and bad input (refused while running) look alike. */
    static void assertRefused(String problem, String... args) {
        String[] cli = new String[args.length + 1];
        cli[0] = "analyse";
        System.arraycopy(args, 0, cli, 1, args.length);
        CliTest.assertOneLineError(CliTest.run(cli), problem);
    }

    @Test
    void badInputIsAOneLineErrorAndWritesNothing(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("analysis.json");
        String model = Shared.model("stories260K").toString();
        assertRefused("nope.jsonl", model, "--data", tmp.resolve("nope.jsonl").toString(), "--out", out.toString());
        assertRefused("empty.jsonl", model, "--data", Shared.root().resolve("data/fixtures/bad/empty.jsonl").toString(), "--out", out.toString());
        assertRefused("fewer than", model, "--data", "tinystories", "--samples", "500", "--out", out.toString());
        assertRefused("angular tokens", model, "--angular-tokens", "middle", "--out", out.toString());
        assertRefused("--greedy", model, "--greedy", "random", "--out", out.toString());
        assertRefused("--greedy-steps", model, "--greedy", "bi", "--greedy-steps", "0", "--out", out.toString());
        try (var files = Files.list(tmp)) {
            assertFalse(files.findAny().isPresent(), "nothing written");
        }
    }
}
