package dev.shallow.cli;

import dev.shallow.analysis.Analyser;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.AnalysisOptions;
import dev.shallow.analysis.CalibrationLoss;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.analysis.Progress;
import dev.shallow.data.CalibrationOptions;
import dev.shallow.data.CalibrationSet;
import dev.shallow.generate.Sampler;
import dev.shallow.io.OutputPolicy;
import dev.shallow.model.Model;
import dev.shallow.prune.LayerCount;
import dev.shallow.prune.Layers;
import dev.shallow.prune.Plan;
import dev.shallow.prune.Pruner;
import dev.shallow.prune.PruningRecord;
import dev.shallow.prune.Strategy;
import dev.shallow.eval.TaskOptions;
import dev.shallow.report.Report;
import dev.shallow.sweep.Fractions;
import dev.shallow.sweep.Sweep;
import dev.shallow.sweep.SweepOptions;
import dev.shallow.sweep.SweepRun;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.MemoryBudget;
import dev.shallow.transformer.Transformer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The main job on a model (default: the bundled stories260K): describe it, continue a prompt,",
                "measure its layers on calibration text, remove the most redundant block by angular distance,",
                "write the shallower checkpoint, compare held-out loss and text before and after, then sweep the",
                "fraction of layers removed (angular distance against a random control, scored on HellaSwag, a story",
                "task and held-out loss) and write the report with its plots."})
final class DemoCommand implements Callable<Integer> {
    static final String PROMPT = "Once upon a time";

    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "Model directory (default: the bundled stories260K).")
    Path modelDir;

    @Option(names = "--data", paramLabel = "FILE", description = "Calibration text (default: the bundled data/stories260K-train-64.jsonl).")
    Path data;

    @Option(names = "--heldout", paramLabel = "FILE", description = "Held-out text for the loss (default: the bundled data/stories260K-heldout-16.jsonl).")
    Path heldout;

    @Option(names = "--n", converter = Ranges.AtLeastOne.class, defaultValue = "1", description = "Layers to remove (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the pruned checkpoint goes (default: demo-out/pruned); an earlier one shallow wrote is replaced, any other "
            + "non-empty directory refused.")
    Path out;

    @Option(names = "--no-sweep", description = "Stop after the pruned checkpoint: no sweep, no report.")
    boolean noSweep;

    @Mixin
    ThreadsOption threads;

    @Override
    public Integer call() {
        Path dir = Defaults.modelOrDefault(modelDir);
        Path calibrationFile = data != null ? data : Defaults.home().resolve("data").resolve("stories260K-train-64.jsonl");
        Path heldoutFile = heldout != null ? heldout : Defaults.home().resolve("data").resolve("stories260K-heldout-16.jsonl");
        Path outDir = out != null ? out : Defaults.home().resolve("demo-out").resolve("pruned");
        OutputPolicy.checkDirectory(outDir, true, dir, calibrationFile, heldoutFile);
        if (!noSweep) OutputPolicy.checkDirectory(sweepDir(outDir, dir), true, dir, calibrationFile, heldoutFile);
        Tokenizer tok = Tokenizer.load(dir);
        try (Model model = Model.load(dir)) {
            int layers = model.config().numLayers(), context = model.config().maxPositionEmbeddings();
            LayerCount.of(n, layers);
            InfoCommand.print(model);
            System.out.println("\n== greedy continuation, all " + layers + " layers");
            GenerateCommand.run(model, tok, Transformer.allLayers(layers), PROMPT, 48, Sampler.greedy(), true, System.out);

            CalibrationOptions calib = new CalibrationOptions(calibrationFile.toString(), "text", 48, 256, true, true, true, 0);
            CalibrationSet set = CalibrationSet.load(calib, tok, context, null);
            System.out.printf("%n== analyse: %d sequences x %d tokens of %s%n", set.sequences().length, calib.seqLen(), calibrationFile);
            ProgressLine progress = new ProgressLine(System.err);
            Analysis analysis = Analyser.run(model, set, AnalysisOptions.defaults(), progress);
            progress.finish();
            Plan plan = Plan.of(ModelIdentity.of(model), Strategy.ANGULAR, n, null, 0, analysis, null);
            int[] removed = plan.removed();
            for (int k = 1; k < layers; k++) {
                int l = analysis.bestBlockStart(k);
                System.out.printf("  n=%-2d best block %-6s d=%.4f%n", k, Layers.format(java.util.stream.IntStream.range(l, l + k).toArray()),
                        analysis.angularDistance()[l][k - 1]);
            }

            System.out.printf("%n== prune: remove layers %s (angular distance, n=%d) -> %s%n", Layers.format(removed), n, outDir);
            Pruner.prune(dir, removed, PruningRecord.of(plan, null), outDir, true);

            CalibrationOptions held = new CalibrationOptions(heldoutFile.toString(), "text", 16, 256, false, true, false, 0);
            int[][] heldSeqs = CalibrationSet.load(held, tok, context, null).sequences();
            try (Model pruned = Model.load(outDir)) {
                double before = CalibrationLoss.of(new Transformer(model), heldSeqs, 4, MemoryBudget.DEFAULT, Progress.NONE, "loss");
                double after = CalibrationLoss.of(new Transformer(pruned), heldSeqs, 4, MemoryBudget.DEFAULT, Progress.NONE, "loss");
                System.out.printf("%n== held-out loss (%d stories of %s): %d layers %.3f nats/token, %d layers %.3f%n",
                        heldSeqs.length, heldoutFile.getFileName(), layers, before, pruned.config().numLayers(), after);
                System.out.println("\n== greedy continuation, pruned checkpoint (" + pruned.config().numLayers() + " layers)");
                GenerateCommand.run(pruned, Tokenizer.load(outDir), Transformer.allLayers(pruned.config().numLayers()),
                        PROMPT, 48, Sampler.greedy(), true, System.out);
            }
            System.out.println("\npruned checkpoint: " + outDir.toAbsolutePath().normalize());
            if (!noSweep) sweep(model, calib, heldoutFile, outDir);
        }
        return 0;
    }

    /** sweep-MODEL beside the pruned checkpoint. */
    private static Path sweepDir(Path prunedDir, Path modelDir) {
        return prunedDir.toAbsolutePath().normalize().resolveSibling("sweep-" + modelDir.toAbsolutePath().normalize().getFileName());
    }

    /**
     * Angular distance against the random control at 0, 20, ..., 80% of the layers removed, on 100 HellaSwag items, the story
     * task and the held-out loss, into sweep-MODEL beside the pruned checkpoint (replaced if present), then the report.
     */
    private static void sweep(Model model, CalibrationOptions calibration, Path heldoutFile, Path prunedDir) {
        Path run = sweepDir(prunedDir, model.dir());
        OutputPolicy.removeOwnedDirectory(run);
        SweepOptions options = new SweepOptions(List.of(Strategy.ANGULAR, Strategy.RANDOM), Fractions.parse("0:0.8:0.2"),
                List.of("hellaswag", "stories_last_word"), heldoutFile, "text", 100, TaskOptions.DEFAULT_SHOTS, 1234, 0, false,
                Defaults.sharedData(), calibration, Defaults.sharedData(), AnalysisOptions.defaults());
        System.out.printf("%n== sweep: angular distance vs random, 0-80%% of the layers removed -> %s%n", run);
        SweepRun result = Sweep.run(model, options, run, new SweepProgressLine(System.err));
        Path html = run.resolve("report.html");
        List<Report.Plot> plots = Report.write(result, html, run.resolve("plots"));
        System.out.printf("%d points, %d plots%nreport: %s%n", result.points().size(), plots.size(), html.toAbsolutePath().normalize());
    }
}
