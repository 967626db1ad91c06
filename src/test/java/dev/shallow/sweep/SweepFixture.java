package dev.shallow.sweep;

import dev.shallow.Shared;
import dev.shallow.analysis.AnalysisOptions;
import dev.shallow.data.CalibrationOptions;
import dev.shallow.eval.TaskOptions;
import dev.shallow.heal.HealOptions;
import dev.shallow.prune.Strategy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** A sweep small enough for tests: the bundled stories260K (5 layers), a few fractions, 5-document fixture tasks, short calibration. */
public final class SweepFixture {
    public static final Path MODEL = Path.of("models/stories260K");
    public static final Path HELDOUT = Path.of("data/stories260K-heldout-16.jsonl");

    private SweepFixture() {
    }

    /** angular, sequential and random at 0, 0.2, 0.4 and 0.6 (n = 0..3); arc_easy and lambada_openai on 5 documents, and the loss. */
    public static SweepOptions options() {
        return options(List.of(Strategy.ANGULAR, Strategy.SEQUENTIAL, Strategy.RANDOM), "0:0.6:0.2", 5);
    }

    public static SweepOptions options(List<Strategy> strategies, String fractions, int limit) {
        return new SweepOptions(strategies, Fractions.parse(fractions), List.of("arc_easy", "lambada_openai"), HELDOUT, "text", limit,
                TaskOptions.DEFAULT_SHOTS, 1234, 0, false, Shared.root().resolve("data/fixtures"),
                new CalibrationOptions("data/stories260K-train-64.jsonl", "text", 8, 64, true, true, true, 0), Shared.root().resolve("data"),
                AnalysisOptions.defaults());
    }

    /** Healing in seconds: 2 steps of 2 x 64 tokens of the 64 training stories (the last 8 held out), rank 4, dense. */
    public static HealOptions heal(long tokens) {
        return new HealOptions(Path.of("data/stories260K-train-64.jsonl").toAbsolutePath().toString(), "text", null, 8, 4, 8, 0.05,
                HealOptions.parseTargets("q,k,v,o,gate,up,down"), tokens, 1e-3, 0, 2, 64, 1, false, 0, 0, 1.0);
    }

    /** angular and random at 0, 0.2 and 0.4 (n = 0..2, the same layers at 0.4) on 3 documents, each pruned point healed with {@link #heal}. */
    public static SweepOptions healing(long tokens) {
        return options(List.of(Strategy.ANGULAR, Strategy.RANDOM), "0,0.2,0.4", 3).withHeal(heal(tokens));
    }

    /** Every file under {@code dir} (relative name to bytes), to check that nothing changed. */
    public static Map<String, byte[]> snapshot(Path dir) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) files.put(dir.relativize(f).toString(), Files.readAllBytes(f));
        }
        return files;
    }
}
