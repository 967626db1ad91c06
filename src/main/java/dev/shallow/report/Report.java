package dev.shallow.report;

import dev.shallow.ShallowException;
import dev.shallow.io.AtomicFiles;
import dev.shallow.sweep.SweepRun;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A sweep's report: every figure as PNG and SVG files, and one self-contained HTML page. */
public final class Report {
    /** A figure drawn. */
    public record Plot(Figure figure, byte[] png, byte[] svg) {
    }

    private Report() {
    }

    /** Draws every figure of {@code run} into {@code plotDir} (NAME.png, NAME.svg) and writes the page to {@code html}; returns the plots. */
    public static List<Plot> write(SweepRun run, Path html, Path plotDir) {
        List<Plot> plots = new ArrayList<>();
        for (Figure f : Figures.of(run)) plots.add(new Plot(f, Charts.png(f), Charts.svg(f)));
        try {
            Files.createDirectories(plotDir);
        } catch (IOException e) {
            throw ShallowException.at(plotDir, "cannot create: " + e.getMessage(), e);
        }
        for (Plot p : plots) {
            AtomicFiles.write(plotDir.resolve(p.figure().name() + ".png"), tmp -> Files.write(tmp, p.png()));
            AtomicFiles.write(plotDir.resolve(p.figure().name() + ".svg"), tmp -> Files.write(tmp, p.svg()));
        }
        String page = HtmlReport.render(run, plots);
        AtomicFiles.write(html, tmp -> Files.writeString(tmp, page, StandardCharsets.UTF_8));
        return plots;
    }
}
