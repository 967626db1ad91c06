package dev.shallow.report;

import dev.shallow.model.Model;
import dev.shallow.sweep.PointResult;
import dev.shallow.sweep.Sweep;
import dev.shallow.sweep.SweepFixture;
import dev.shallow.sweep.SweepProgress;
import dev.shallow.sweep.SweepRun;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report of a healing sweep: healed loss series, healed rows, and the healing named on the page. */
class HealedReportTest {
    @TempDir
    static Path tmp;
    static SweepRun run;

    @BeforeAll
    static void sweep() {
        try (Model model = Model.load(SweepFixture.MODEL)) {
            run = Sweep.run(model, SweepFixture.healing(256), tmp.resolve("run"), SweepProgress.NONE);
        }
    }

    @Test
    void lossPlotHasAHealedSeriesPerStrategyFromTheUnprunedModel() {
        Figure.Lines f = (Figure.Lines) Figures.of(run).stream().filter(x -> x.name().equals(Figures.LOSS)).findFirst().orElseThrow();
        assertEquals(List.of("angular", "random", "angular (healed: lora)", "random (healed: lora)"), f.lines().stream().map(Series::name).toList());
        assertFalse(f.title().contains("no healing"), f.title());
        Series healed = f.lines().get(2);
        assertArrayEquals(new double[]{0, 0.2, 0.4}, healed.x(), 1e-12);
        List<PointResult> angular = run.pointsOf("angular");
        assertEquals(angular.getFirst().score("loss", "loss").orElseThrow().value(), healed.y()[0], "starts at the unpruned model");
        for (int i = 1; i < 3; i++) {
            PointResult h = angular.get(2 * i);
            assertTrue(h.healed());
            assertEquals(h.score("loss", "loss").orElseThrow().value(), healed.y()[i]);
            assertTrue(healed.y()[i] < f.lines().getFirst().y()[i], "healed below unhealed at n = " + i);
        }
        Figure.Lines task = (Figure.Lines) Figures.of(run).getFirst();
        assertEquals(List.of("angular", "random"), task.lines().stream().map(Series::name).toList(), "task plots are the unhealed points");
    }

    @Test
    void pageNamesTheHealingAndMarksHealedRows() throws IOException {
        Path html = tmp.resolve("report.html");
        Report.write(run, html, tmp.resolve("plots"));
        Document page = Jsoup.parse(html.toFile());
        assertTrue(page.text().contains("healed by lora (LoRA on next-token loss)"), page.select("p.note").text());
        assertTrue(page.text().contains("Training: LoRA (rank 4, alpha 8.0"), page.select("p.note").text());
        assertFalse(page.text().contains("No healing"));
        assertTrue(page.text().contains("dashed or dotted: healed, by the method named"));
        Element results = page.select("h2:contains(Results) + p + table").first();
        assertNotNull(results);
        assertEquals(1 + run.points().size(), results.select("tr").size());
        assertEquals(4, results.select("tr:contains(lora: 256 tokens)").size());
        assertTrue(results.select("tr").get(3).text().contains("angular 0.2 1 2"), results.select("tr").get(3).text());
        assertTrue(results.select("tr").get(4).text().contains("lora: 256 tokens"), results.select("tr").get(4).text());
    }
}
