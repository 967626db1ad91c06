package dev.shallow.report;

import dev.shallow.analysis.Analysis;
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
import org.xml.sax.SAXException;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report of a small sweep: the data behind every figure, the PNG and SVG files, and the self-contained HTML page. */
class ReportTest {
    @TempDir
    static Path tmp;
    static SweepRun run;

    @BeforeAll
    static void sweep() {
        try (Model model = Model.load(SweepFixture.MODEL)) {
            run = Sweep.run(model, SweepFixture.options(), tmp.resolve("run"), SweepProgress.NONE);
        }
    }

    private static Figure figure(String name) {
        return Figures.of(run).stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no figure " + name));
    }

    @Test
    void figuresAreTheTasksTheLossAndTheAnalysisPlots() {
        assertEquals(List.of("task-arc_easy", "task-lambada_openai", Figures.LOSS, Figures.HEAT_MAP, Figures.BI, Figures.ABLATION, Figures.SUB_ABLATION,
                        Figures.SUB_BI),
                Figures.of(run).stream().map(Figure::name).toList());
    }

    @Test
    void taskPlotHasOneLinePerStrategyAndTheRandomGuessLevel() {
        Figure.Lines f = (Figure.Lines) figure("task-arc_easy");
        assertEquals(List.of("angular", "sequential", "random"), f.lines().stream().map(Series::name).toList());
        for (Series s : f.lines()) {
            assertArrayEquals(new double[]{0, 0.2, 0.4, 0.6}, s.x(), 1e-12);
            List<PointResult> points = run.pointsOf(s.name());
            for (int i = 0; i < points.size(); i++) assertEquals(points.get(i).score("arc_easy", "acc").orElseThrow().value(), s.y()[i], 0);
        }
        assertEquals(1, f.guides().size());
        Series guess = f.guides().getFirst();
        assertEquals("random guess (0.250)", guess.name(), "the first 5 ARC-Easy fixture questions have 4 choices each");
        assertArrayEquals(new double[]{0.25, 0.25}, guess.y(), 1e-12);
        assertTrue(((Figure.Lines) figure("task-lambada_openai")).guides().isEmpty(), "LAMBADA has no random-guess level");
    }

    @Test
    void lossPlotIsTheUnhealedHeldOutLoss() {
        Figure.Lines f = (Figure.Lines) figure(Figures.LOSS);
        assertEquals(List.of("angular", "sequential", "random"), f.lines().stream().map(Series::name).toList(), "no healed series");
        assertTrue(f.title().contains("no healing"), f.title());
        Series angular = f.lines().getFirst();
        List<PointResult> points = run.pointsOf("angular");
        for (int i = 0; i < points.size(); i++) assertEquals(points.get(i).score("loss", "loss").orElseThrow().value(), angular.y()[i], 0);
        assertTrue(angular.y()[3] > angular.y()[0], "removing 3 of 5 layers raises the loss");
    }

    @Test
    void analysisPlotsHoldTheAnalysis() {
        Analysis a = run.analysis();
        Figure.HeatMap h = (Figure.HeatMap) figure(Figures.HEAT_MAP);
        assertEquals(List.of("1", "2", "3", "4"), h.columns());
        assertEquals(List.of("0", "1", "2", "3", "4"), h.rows());
        for (int n = 1; n < 5; n++) {
            for (int l = 0; l < 5; l++) {
                if (l + n <= 5) assertEquals(a.angularDistance()[l][n - 1], h.values()[n - 1][l], 0);
                else assertTrue(Double.isNaN(h.values()[n - 1][l]));
            }
            assertArrayEquals(new int[]{n - 1, a.bestBlockStart(n)}, h.marks().get(n - 1));
        }
        Figure.Bars bi = (Figure.Bars) figure(Figures.BI);
        assertEquals(List.of("Block Influence", "relative magnitude"), bi.bars().stream().map(Series::name).toList());
        assertArrayEquals(a.blockInfluence(), bi.bars().get(0).y(), 0);
        assertArrayEquals(a.relativeMagnitude(), bi.bars().get(1).y(), 0);
        Figure.Bars ablation = (Figure.Bars) figure(Figures.ABLATION);
        assertArrayEquals(a.ablationLoss(), ablation.bars().getFirst().y(), 0);
        assertEquals(a.baselineLoss(), ablation.guides().getFirst().y()[0], 0);
        for (double loss : a.ablationLoss()) assertTrue(loss > a.baselineLoss(), "each layer matters to a 5-layer model");
    }

    @Test
    void everyFigureIsWrittenAsPngAndSvgAndTheHtmlIsSelfContained() throws IOException {
        Path html = tmp.resolve("report.html"), plots = tmp.resolve("plots");
        List<Report.Plot> drawn = Report.write(run, html, plots);
        assertEquals(8, drawn.size());
        for (Report.Plot p : drawn) {
            BufferedImage png = ImageIO.read(plots.resolve(p.figure().name() + ".png").toFile());
            assertNotNull(png, p.figure().name());
            assertEquals(Charts.WIDTH, png.getWidth());
            assertEquals("svg", parseXml(Files.readAllBytes(plots.resolve(p.figure().name() + ".svg"))), p.figure().name());
        }

        Document page = Jsoup.parse(html.toFile());
        List<Element> images = page.select("img");
        assertEquals(drawn.size(), images.size());
        for (Element img : images) {
            String src = img.attr("src");
            assertTrue(src.startsWith("data:image/png;base64,"), src.substring(0, Math.min(40, src.length())));
            assertNotNull(ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(src.substring(src.indexOf(',') + 1)))), img.attr("alt"));
        }
        assertTrue(page.select("script, link, [href]").isEmpty(), "nothing to fetch: the page opens offline");
        assertTrue(page.text().contains("No healing"));
        Element results = page.select("h2:contains(Results) + p + table").first();
        assertNotNull(results);
        assertEquals(1 + run.points().size(), results.select("tr").size());
        assertTrue(results.text().contains("shared with angular 0 (n=0)"));
        Element layers = page.select("h2:contains(Layers removed) + table").first();
        assertNotNull(layers);
        assertEquals("sequential none (n=0) 0 (n=1) 0-1 (n=2) 0-2 (n=3)", layers.select("tr").get(2).text());
        assertEquals(run.generations().size(), page.select("div.gen").size());
        assertTrue(page.select("div.gen b").first().text().equals("Once upon a time"));
        assertFalse(page.select("pre").text().isEmpty(), "the options");
    }

    /** The root element's name of an XML document (the SVG's DTD is not fetched). */
    private static String parseXml(byte[] xml) throws IOException {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml)).getDocumentElement().getNodeName();
        } catch (ParserConfigurationException | SAXException e) {
            throw new AssertionError("not XML: " + e.getMessage(), e);
        }
    }
}
