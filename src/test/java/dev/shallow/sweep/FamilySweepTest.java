package dev.shallow.sweep;

import dev.shallow.Shared;
import dev.shallow.model.Model;
import dev.shallow.report.Report;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole sweep (analysis, every strategy's plan, evaluation by skipping) and its report on families beyond Llama. */
class FamilySweepTest {
    @ParameterizedTest
    @ValueSource(strings = {"tiny-gemma3-random", "tiny-phi3-random"})
    void sweepAndReportRunEndToEnd(String name, @TempDir Path tmp) throws IOException {
        Path run = tmp.resolve("run");
        try (Model model = Model.load(Shared.model(name))) {
            SweepRun result = Sweep.run(model, SweepFixture.options(), run, SweepProgress.NONE);
            assertEquals(3 * 4, result.points().size(), name);
            double unpruned = result.points().getFirst().score("loss", "loss").orElseThrow().value();
            assertTrue(Double.isFinite(unpruned), name + ": loss " + unpruned);
        }
        Report.write(SweepRun.read(run), run.resolve("report.html"), run.resolve("plots"));
        String html = Files.readString(run.resolve("report.html"));
        assertTrue(html.contains(name), "the report names the model");
        assertTrue(Files.exists(run.resolve("plots/angular-distance.png")), "heat map drawn");
    }
}
