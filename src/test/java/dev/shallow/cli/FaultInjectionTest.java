package dev.shallow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ChildJvm;
import dev.shallow.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * prune, sweep and heal killed with SIGKILL at seeded random moments (a child JVM each): the rerun (or resume) finishes
 * with the output of an uninterrupted run, byte for byte but for timings, and no temporary, lock or half-written file remains.
 */
class FaultInjectionTest {
    private static final int KILLS = 2;
    private static final Pattern LEFTOVER = Pattern.compile("\\..+\\.(tmp|old)-\\d+-[0-9a-f]+|.*\\.shallow-lock");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    private final Random random = new Random(23);

    /** Runs the CLI in a child JVM to the end; returns its wall time in ms. */
    private static long complete(String... args) throws Exception {
        long t0 = System.nanoTime();
        Process p = ChildJvm.of(Main.class, args).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", args));
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** Starts the CLI in a child JVM and kills it (SIGKILL) after {@code ms}, unless it finished first. */
    private static void killAfter(long ms, String... args) throws Exception {
        Process p = ChildJvm.of(Main.class, args).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(ms, TimeUnit.MILLISECONDS)) p.destroyForcibly();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    }

    /** Every file under {@code dir} by relative path, its content passed through {@code normalise} (for timings). */
    private static Map<String, String> contents(Path dir, Function<Path, String> normalise) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) out.put(dir.relativize(p).toString(), normalise.apply(p));
        }
        return out;
    }

    private static String bytes(Path p) {
        try {
            return HexFormat.of().formatHex(Files.readAllBytes(p));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** JSON and JSON lines without the fields that time a run; other files as bytes. */
    private static String withoutTimings(Path p) {
        String name = p.getFileName().toString();
        if (!name.endsWith(".json") && !name.endsWith(".jsonl")) return bytes(p);
        try {
            List<String> lines = new ArrayList<>();
            for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                JsonNode n = JSON.readTree(line.isBlank() ? "null" : name.endsWith(".jsonl") ? line : Files.readString(p));
                strip(n);
                lines.add(JSON.writeValueAsString(n));
                if (name.endsWith(".json")) break;
            }
            return String.join("\n", lines);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void strip(JsonNode n) {
        if (n instanceof ObjectNode o) {
            o.remove(List.of("seconds", "seconds_this_run", "steps_this_run", "date", "total_evaluation_time_seconds"));
            o.forEach(FaultInjectionTest::strip);
        } else if (n != null && n.isArray()) {
            n.forEach(FaultInjectionTest::strip);
        }
    }

    private void assertNoLeftovers() throws IOException {
        try (Stream<Path> s = Files.walk(tmp)) {
            List<String> left = s.map(p -> p.getFileName().toString()).filter(n -> LEFTOVER.matcher(n).matches()).toList();
            assertEquals(List.of(), left, "temporaries or locks left behind");
        }
    }

    /** Kills {@code command} at random moments into its uninterrupted time, reruns it each time, and compares the outputs. */
    private void killAndRerun(Path reference, Path out, Function<Path, String[]> command, Function<Path, String[]> rerun) throws Exception {
        long ms = complete(command.apply(reference));
        Map<String, String> expected = contents(reference, FaultInjectionTest::withoutTimings);
        for (int k = 0; k < KILLS; k++) {
            killAfter(300 + (long) (random.nextDouble() * ms), command.apply(out));
            CliTest.Run r = CliTest.run(rerun.apply(out));
            assertEquals(0, r.code(), r.err());
            assertEquals(expected, contents(out, FaultInjectionTest::withoutTimings), "after a kill, run " + k);
            assertNoLeftovers();
        }
    }

    @Test
    void pruneKilledThenRerunWithForce() throws Exception {
        String model = Shared.model("stories-16L").toString();
        killAndRerun(tmp.resolve("reference"), tmp.resolve("out"),
                out -> new String[]{"prune", model, "--remove", "3-9", "--out", out.toString(), "--force"},
                out -> new String[]{"prune", model, "--remove", "3-9", "--out", out.toString(), "--force"});
    }

    @Test
    void healKilledThenResumed() throws Exception {
        String model = Shared.model("stories260K").toString();
        Function<Path, String[]> heal = out -> new String[]{"heal", model, "--data", "data/stories260K-train-64.jsonl", "--heldout-samples", "2",
                "--tokens", "1536", "--batch", "2", "--seq-len", "128", "--save-every", "1", "--merge", "--out", out.toString()};
        killAndRerun(tmp.resolve("reference"), tmp.resolve("out"), heal, out -> {
            List<String> args = new ArrayList<>(List.of(heal.apply(out)));
            if (Files.exists(out.resolve("checkpoint/state.json"))) args.add("--resume");
            return args.toArray(String[]::new);
        });
    }

    @Test
    void sweepKilledThenResumed() throws Exception {
        Function<Path, String[]> sweep = out -> new String[]{"sweep", Shared.model("stories260K").toString(), "--fractions", "0,0.4",
                "--strategies", "sequential,random", "--loss-data", "data/stories260K-heldout-16.jsonl",
                "--data", "data/stories260K-train-64.jsonl", "--samples", "8", "--seq-len", "64", "--out", out.toString()};
        killAndRerun(tmp.resolve("reference"), tmp.resolve("out"), sweep, sweep);
    }
}
