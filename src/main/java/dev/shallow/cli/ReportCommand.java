package dev.shallow.cli;

import dev.shallow.io.OutputPolicy;
import dev.shallow.report.Report;
import dev.shallow.sweep.RunDirectory;
import dev.shallow.sweep.SweepRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Draw a sweep's plots (PNG and SVG) and write one self-contained HTML page: the model, the options, every plot,",
                "the results table, the layers each strategy removed at each fraction, and greedy continuations as layers go.",
                "Works on a sweep that is still running or was interrupted (with the points finished so far)."})
final class ReportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN", description = "A directory written by 'shallow sweep --out RUN'.")
    Path runDir;

    @Option(names = "--out", paramLabel = "FILE", description = "The HTML page (default: RUN/report.html).")
    Path out;

    @Option(names = "--plots", paramLabel = "DIR", description = "Where the PNG and SVG files go (default: RUN/plots).")
    Path plots;

    @Override
    public Integer call() {
        Path html = out != null ? out : runDir.resolve("report.html");
        Path plotDir = plots != null ? plots : runDir.resolve("plots");
        Path[] inputs = RunDirectory.FILES.stream().map(runDir::resolve).toArray(Path[]::new);
        OutputPolicy.checkFile(html, inputs);
        OutputPolicy.requireApart(plotDir, inputs);
        SweepRun run = SweepRun.read(runDir);
        List<Report.Plot> drawn = Report.write(run, html, plotDir);
        System.out.printf("%d of %d points; %d plots in %s (PNG and SVG)%nwrote %s%n", run.points().size(), run.plannedPoints(), drawn.size(), plotDir, html);
        return 0;
    }
}
