package dev.shallow.sweep;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.model.Model;
import dev.shallow.prune.Strategy;
import dev.shallow.report.Figure;
import dev.shallow.report.Figures;
import dev.shallow.report.Series;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A sweep with --heal: each pruned point's healed line after its unhealed one, resuming, and refused heal options. */
class HealingSweepTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TOKENS = 256;

    @Test
    void healedLinesFollowTheUnhealedOnesAndAResumedRunEqualsAnUninterruptedOne(@TempDir Path tmp) throws IOException {
        SweepOptions options = SweepFixture.healing(TOKENS);
        Path whole = tmp.resolve("whole"), parts = tmp.resolve("parts");
        try (Model model = Model.load(SweepFixture.MODEL)) {
            SweepRun run = Sweep.run(model, options, whole, SweepProgress.NONE);
            assertEquals(10, run.plannedPoints());
            checkLines(run.points());

            Sweep.run(model, options, parts, SweepProgress.NONE, 3);
            List<PointResult> stopped = SweepRun.read(parts).points();
            assertEquals(3, stopped.size());
            assertFalse(stopped.getLast().healed(), "stopped between angular 0.2 and its healed line");
            // as if killed while healing the next point: its scratch space is left behind
            Files.createDirectories(parts.resolve(RunDirectory.WORK).resolve("heal"));
            Files.writeString(parts.resolve(RunDirectory.WORK).resolve("heal").resolve("left.txt"), "from the killed run");
            Sweep.run(model, options, parts, SweepProgress.NONE, 5);
            assertEquals(8, SweepRun.read(parts).points().size());
            assertTrue(SweepRun.read(parts).points().getLast().healed(), "stopped after angular 0.4 (n=2) healed, before the shared lines");
            Sweep.run(model, options, parts, SweepProgress.NONE);
        }
        assertEquals(withoutTimings(whole), withoutTimings(parts));
        assertFalse(Files.exists(whole.resolve(RunDirectory.WORK)), "the scratch directory is removed after each point");
        assertFalse(Files.exists(parts.resolve(RunDirectory.WORK)));
        assertTrue(Files.readString(whole.resolve(RunDirectory.RUN)).contains("\"heal\""), "run.json records the heal options");
    }

    /**
     * The same sweep of the real stories260K.gguf: each healed point is pruned to a GGUF, healed over it and merged into a GGUF
     * (work/pruned.gguf, work/heal/merged.gguf), with the same lines and the same properties as from the directory.
     */
    @Test
    void aGgufModelIsHealedThroughGgufFiles(@TempDir Path tmp) {
        try (Model model = Model.load(Shared.root().resolve("real/stories260K-gguf/stories260K.gguf"))) {
            SweepRun run = Sweep.run(model, SweepFixture.healing(TOKENS), tmp.resolve("run"), SweepProgress.NONE);
            checkLines(run.points());
        }
        assertFalse(Files.exists(tmp.resolve("run").resolve(RunDirectory.WORK)), "the scratch directory is removed after each point");
    }

    /**
     * --heal lora,kd,replaceme,replaceme+kd: each pruned point's unhealed line, then a line per method in that order; ReplaceMe
     * trains nothing, the others the same tokens; every method starts from the same pruned model's held-out loss (measured
     * by layer skipping for the methods that replace, on the pruned checkpoint for the others); each method's model is its
     * own; run.json names the methods and the loss plot has a series per method.
     */
    @Test
    void everyHealingMethodHasItsLineAndItsSeries(@TempDir Path tmp) {
        List<HealMethod> methods = List.of(HealMethod.values());
        SweepOptions options = SweepFixture.options(List.of(Strategy.ANGULAR), "0,0.4", 3).withHeal(SweepFixture.heal(TOKENS), methods);
        SweepRun run;
        try (Model model = Model.load(SweepFixture.MODEL)) {
            run = Sweep.run(model, options, tmp.resolve("run"), SweepProgress.NONE);
        }
        assertEquals(6, run.plannedPoints());
        assertEquals(methods, run.healing());
        List<PointResult> points = run.points();
        assertEquals(Arrays.asList(null, null, HealMethod.LORA, HealMethod.KD, HealMethod.REPLACEME, HealMethod.REPLACEME_KD),
                points.stream().map(PointResult::healing).toList());
        PointResult unhealed = points.get(1);
        double pruned = points.get(2).heal().lossBefore();
        Set<Double> losses = new HashSet<>(List.of(unhealed.score("loss", "loss").orElseThrow().value()));
        for (PointResult p : points.subList(2, 6)) {
            assertEquals(unhealed.point(), p.point());
            assertEquals(p.healing() == HealMethod.REPLACEME ? 0 : TOKENS, p.heal().tokens(), p.healing().cliName());
            assertEquals(pruned, p.heal().lossBefore(), 1e-9 * pruned, p.healing().cliName() + ": the plain pruned model's held-out loss");
            assertTrue(Double.isFinite(p.heal().lossAfter()) && p.heal().lossAfter() != p.heal().lossBefore(), p.healing().cliName());
            assertTrue(losses.add(p.score("loss", "loss").orElseThrow().value()), p.healing().cliName() + " evaluated a model of its own");
        }
        List<String> series = Figures.of(run).stream().filter(f -> f.name().equals(Figures.LOSS)).findFirst().orElseThrow() instanceof Figure.Lines l
                ? l.lines().stream().map(Series::name).toList() : List.of();
        assertEquals(List.of("angular", "angular (healed: lora)", "angular (healed: kd)", "angular (healed: replaceme)", "angular (healed: replaceme+kd)"), series);
    }

    /** ReplaceMe cannot fold into Gemma's down_proj (post-feedforward norm): refused in one line before the first point is evaluated. */
    @Test
    void replaceMeRefusalsComeBeforeTheFirstPoint(@TempDir Path tmp) throws IOException {
        SweepOptions options = SweepFixture.options(List.of(Strategy.ANGULAR), "0,0.2", 3).withHeal(SweepFixture.heal(TOKENS), List.of(HealMethod.REPLACEME));
        Path dir = tmp.resolve("run");
        try (Model model = Model.load(Shared.model("tiny-gemma2-random"))) {
            ShallowException e = assertThrows(ShallowException.class, () -> Sweep.run(model, options, dir, SweepProgress.NONE));
            assertTrue(e.getMessage().contains("post_feedforward_layernorm") && e.getMessage().lines().count() == 1, e.getMessage());
        }
        Path results = dir.resolve(RunDirectory.RESULTS);
        assertTrue(!Files.exists(results) || Files.size(results) == 0, "no point was evaluated");
    }

    /** angular 0, random 0, then each pruned point and its healed line; the healed model's loss is its own and lower. */
    private static void checkLines(List<PointResult> points) {
        assertEquals(List.of("angular 0 (n=0)", "random 0 (n=0)", "angular 0.2 (n=1)", "angular 0.2 (n=1) healed", "random 0.2 (n=1)",
                        "random 0.2 (n=1) healed", "angular 0.4 (n=2)", "angular 0.4 (n=2) healed", "random 0.4 (n=2)", "random 0.4 (n=2) healed"),
                points.stream().map(p -> p.point().label() + (p.healed() ? " healed" : "")).toList());
        for (int i = 2; i < points.size(); i += 2) {
            PointResult unhealed = points.get(i), healed = points.get(i + 1);
            assertEquals(unhealed.point(), healed.point());
            assertNull(unhealed.heal());
            HealSummary h = healed.heal();
            assertNotNull(h, healed.point().label());
            assertEquals(TOKENS, h.tokens());
            assertEquals(2, h.steps());
            assertEquals(8, h.heldoutDocs());
            assertTrue(h.lossAfter() < h.lossBefore(), "healing lowers the held-out loss of the healing text: " + h);
            double before = unhealed.score("loss", "loss").orElseThrow().value(), after = healed.score("loss", "loss").orElseThrow().value();
            assertNotEquals(before, after, healed.point().label());
            assertTrue(after < before, healed.point().label() + ": " + before + " -> " + after);
        }
        assertNull(points.get(6).reusedFrom());
        assertEquals(points.get(6).point(), points.get(8).reusedFrom(), "random 0.4 removes angular's layers");
        assertEquals(points.get(7).point(), points.get(9).reusedFrom(), "... and shares its healed evaluation");
        assertEquals(points.get(7).heal(), points.get(9).heal());
        assertEquals(points.get(7).scores(), points.get(9).scores());
    }

    @Test
    void otherHealOptionsOrNoHealingAreRefusedAndNothingChanges(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("run");
        try (Model model = Model.load(SweepFixture.MODEL)) {
            Sweep.run(model, SweepFixture.healing(TOKENS), dir, SweepProgress.NONE, 1);
            Map<String, byte[]> before = SweepFixture.snapshot(dir);
            ShallowException e = assertThrows(ShallowException.class, () -> Sweep.run(model, SweepFixture.healing(2 * TOKENS), dir, SweepProgress.NONE));
            assertTrue(e.getMessage().contains("heal.tokens: 256 recorded, 512 given"), e.getMessage());
            SweepOptions unhealed = SweepFixture.healing(TOKENS).withHeal(null);
            e = assertThrows(ShallowException.class, () -> Sweep.run(model, unhealed, dir, SweepProgress.NONE));
            assertTrue(e.getMessage().contains("heal: "), e.getMessage());
            Map<String, byte[]> after = SweepFixture.snapshot(dir);
            assertEquals(before.keySet(), after.keySet());
            before.forEach((name, bytes) -> assertArrayEquals(bytes, after.get(name), name));
        }
    }

    @Test
    void healingOnTheLossDataIsRefused() {
        var heal = SweepFixture.heal(TOKENS);
        var onLossData = new dev.shallow.heal.HealOptions(SweepFixture.HELDOUT.toAbsolutePath().toString(), "text", null, 8, 4, 8, 0.05, heal.targets(),
                TOKENS, 1e-3, 0, 2, 64, 1, false, 0, 0, 1.0);
        ShallowException e = assertThrows(ShallowException.class, () -> SweepFixture.healing(TOKENS).withHeal(onLossData));
        assertTrue(e.getMessage().contains("would train on the text it evaluates"), e.getMessage());
    }

    /** results.jsonl's lines without wall times ("seconds", "heal.seconds"). */
    private static List<String> withoutTimings(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(RunDirectory.RESULTS))) {
            ObjectNode o = (ObjectNode) JSON.readTree(line);
            o.remove("seconds");
            if (o.has("heal")) ((ObjectNode) o.get("heal")).remove("seconds");
            out.add(o.toString());
        }
        return out;
    }
}
