package dev.shallow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.SubBlockAnalysis;
import dev.shallow.prune.Plan;
import dev.shallow.model.Model;
import dev.shallow.transformer.SubBlocks;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static dev.shallow.cli.CliTest.assertOneLineError;
import static dev.shallow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** analyse --heads / --greedy-sub-blocks, plan and sweep with sub-block strategies, the report's head map, and bad flags refused. */
class SubBlockCommandsTest {
    static final String MODEL = Shared.model("stories260K").toString();
    static final ObjectMapper JSON = new ObjectMapper();

    private static String[] analyse(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("analyse", MODEL, "--data", "data/stories260K-train-64.jsonl", "--samples", "4", "--seq-len", "32",
                "--out", out.toString()));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    @Test
    void analysePlansAndRefusesWhatTheAnalysisCannotGive(@TempDir Path tmp) throws IOException {
        Path a = tmp.resolve("a.json");
        CliTest.Run r = run(analyse(a, "--heads", "--greedy-sub-blocks", "1"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("greedy sub-block removal by calibration loss"), r.out());
        SubBlockAnalysis s = Analysis.read(a).subBlocks();
        assertEquals(5, s.heads().heads().length);
        assertEquals(8, s.heads().heads()[0].length, "a loss per query head");
        assertEquals(4, s.heads().groups()[0].length, "a loss per key/value group");
        assertFalse(s.greedy().isEmpty());

        Path plan = tmp.resolve("plan.json");
        r = run("plan", "--analysis", a.toString(), "--strategy", "attention", "--n", "1", "--out", plan.toString());
        assertEquals(0, r.code(), r.err());
        Plan p = Plan.read(plan);
        // attention-only at one layer's parameters: the lowest-BI attention sub-blocks, as many as fit, no whole layer
        int fit = (int) ((s.sizes().layers() / 5) / s.sizes().attention()[0]);
        int[] byBi = IntStream.range(0, 5).boxed().sorted((x, y) -> Double.compare(s.metrics().attentionInfluence()[x], s.metrics().attentionInfluence()[y]))
                .mapToInt(Integer::intValue).limit(fit).sorted().toArray();
        assertArrayEquals(byBi, p.removedAttention());
        assertEquals(0, p.removed().length);
        assertEquals(0, p.removedMlp().length);
        JsonNode written = JSON.readTree(plan.toFile());
        assertTrue(written.path("removed_mlp").isArray() && written.path("removed_attention").size() == fit, written.toString());

        // prune --plan carries the plan's sub-blocks out: recorded, zeroed, and the pruned checkpoint runs as the source with them skipped
        Path pruned = tmp.resolve("pruned");
        r = run("prune", MODEL, "--plan", plan.toString(), "--out", pruned.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode record = JSON.readTree(pruned.resolve("shallow_pruning.json").toFile());
        assertEquals(JSON.valueToTree(p.removedAttention()), record.path("attention_removed"), record.toString());
        try (Model source = Model.load(Path.of(MODEL)); Model out = Model.load(pruned)) {
            int[] ids = {1, 403, 407, 261, 378, 432};
            Transformer skipped = new Transformer(source, Transformer.allLayers(5), SubBlocks.removing(5, p.removedAttention(), new int[0]));
            Transformer written2 = new Transformer(out);
            assertArrayEquals(skipped.forward(ids, skipped.newCache(ids.length), true), written2.forward(ids, written2.newCache(ids.length), true));
        }

        assertOneLineError(run("plan", "--analysis", a.toString(), "--strategy", "greedy-sub", "--n", "2"), "--greedy-sub-blocks 2");
        assertOneLineError(run("plan", MODEL, "--analysis", a.toString(), "--strategy", "mlp", "--n", "1", "--mergekit", tmp.resolve("m.yaml").toString()),
                "--mergekit");
        assertOneLineError(run("eval", MODEL, "--plan", plan.toString(), "--tasks", "arc_easy", "--limit", "1"), "plan.json", "sub-blocks");
        // an analysis without sub-block metrics (written before them) is refused by sub-block strategies
        Path old = tmp.resolve("old.json");
        ObjectNodeEdit.without(a, old, "sub_blocks");
        assertOneLineError(run("plan", "--analysis", old.toString(), "--strategy", "sub-bi", "--n", "1"), "sub-block metrics");
    }

    @Test
    void badFlagsAreRefusedInOneLine(@TempDir Path tmp) {
        Path a = tmp.resolve("a.json");
        assertOneLineError(run(analyse(a, "--greedy-sub-blocks", "-1")), "--greedy-sub-blocks");
        assertOneLineError(run(analyse(a, "--greedy-sub-blocks", "5")), "--greedy-sub-blocks 5");
        assertOneLineError(run(analyse(a, "--heads=maybe")), "--heads");
        assertFalse(Files.exists(a), "nothing written");
    }

    /** A plan file whose sub-block lists contradict themselves is refused, naming the file. */
    @Test
    void contradictoryPlanIsRefused(@TempDir Path tmp) throws IOException {
        Path a = tmp.resolve("a.json"), plan = tmp.resolve("plan.json");
        assertEquals(0, run(analyse(a)).code());
        assertOneLineError(run("plan", "--analysis", a.toString(), "--strategy", "sub-ablation", "--n", "1"), "--ablation");
        assertEquals(0, run("plan", "--analysis", a.toString(), "--strategy", "mlp", "--n", "1", "--out", plan.toString()).code());
        com.fasterxml.jackson.databind.node.ObjectNode o = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(plan.toFile());
        o.set("removed_attention", o.get("removed_mlp"));
        JSON.writeValue(plan.toFile(), o);
        assertOneLineError(run("eval", MODEL, "--plan", plan.toString(), "--tasks", "arc_easy"), "plan.json", "removed_attention and removed_mlp");
    }

    @Test
    void sweepsSubBlockStrategiesAndReportsTheHeadMap(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("run");
        List<String> args = List.of("sweep", MODEL, "--strategies", "bi,mlp,attention", "--fractions", "0,0.2", "--tasks", "arc_easy", "--limit", "3",
                "--data-dir", EvalCommandTest.fixtures(), "--loss-data", "data/stories260K-heldout-16.jsonl", "--data", "data/stories260K-train-64.jsonl",
                "--samples", "4", "--seq-len", "32", "--heads", "--out", out.toString());
        CliTest.Run r = run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        SubBlockAnalysis s = Analysis.read(out.resolve("analysis.json")).subBlocks();
        List<JsonNode> lines = new ArrayList<>();
        for (String l : Files.readAllLines(out.resolve("results.jsonl"))) lines.add(JSON.readTree(l));
        JsonNode bi = lines.get(3), mlp = lines.get(4);
        assertEquals("mlp", mlp.path("strategy").asText());
        int lowest = IntStream.range(0, 5).boxed().min((x, y) -> Double.compare(s.metrics().mlpInfluence()[x], s.metrics().mlpInfluence()[y])).orElseThrow();
        assertEquals(lowest, mlp.path("removed_mlp").get(0).asInt(), "the MLP with the lowest Block Influence goes first");
        assertNotEquals(bi.path("scores").path("loss").path("loss").path("value").asDouble(), mlp.path("scores").path("loss").path("loss").path("value").asDouble());
        assertEquals(0, run("report", out.toString()).code());
        assertTrue(Files.exists(out.resolve("plots/head-ablation.png")));
        assertTrue(Files.exists(out.resolve("plots/loss-by-parameters.svg")));
        args = new ArrayList<>(args);
        args.set(args.indexOf(out.toString()), tmp.resolve("healed").toString());
        args.add("--heal");
        assertOneLineError(run(args.toArray(String[]::new)), "--heal", "mlp");
    }
}
