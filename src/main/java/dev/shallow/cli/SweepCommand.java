package dev.shallow.cli;

import dev.shallow.cluster.Cluster;
import dev.shallow.eval.TaskOptions;
import dev.shallow.model.Model;
import dev.shallow.prune.Strategy;
import dev.shallow.sweep.Fractions;
import dev.shallow.sweep.PointResult;
import dev.shallow.sweep.RunDirectory;
import dev.shallow.sweep.Sweep;
import dev.shallow.sweep.SweepOptions;
import dev.shallow.sweep.SweepRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;

@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Prune a model by every strategy at every fraction of its layers and evaluate each pruned model (by layer skipping,",
                "no checkpoints; healing with --heal): the analysis once (with single-layer ablation) into RUN/analysis.json, greedy",
                "continuations at 0, 25 and 50%% removed into RUN/generations.json, then one line per point in RUN/results.jsonl,",
                "appended as each finishes. Run it again with the same model and options to resume after the last finished point.",
                "Points that remove the same layers share one evaluation. 'shallow report RUN' draws the plots.",
                "With --heal, every pruned point is also healed (prune into RUN/work, LoRA as 'shallow heal', merge) and the healed model",
                "evaluated: its line (\"healed\": true) follows the unhealed one. With --spark, each evaluation is a Spark task (the",
                "analysis runs on the driver); results.jsonl is written in the same order with the same numbers."})
final class SweepCommand implements Callable<Integer> {
    static final String DEFAULT_STRATEGIES = "angular,bi,magnitude,deepest,sequential,reverse,random";

    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "Model directory or GGUF file (default: the bundled stories260K); with --spark "
            + "also a URI of a Hadoop FileSystem (hdfs://, s3a://, ...), copied once into each machine's cache.")
    String modelLocation;

    @Option(names = "--strategies", defaultValue = DEFAULT_STRATEGIES, split = ",", paramLabel = "S",
            description = "Strategies, comma-separated (default: ${DEFAULT-VALUE}); also ablation, greedy-bi, greedy-angular, greedy-loss.")
    List<String> strategies;

    @Option(names = "--fractions", required = true, paramLabel = "SPEC",
            description = "Fractions of the layers to remove: START:STOP:STEP with STOP included (0:0.75:0.05) or a list (0,0.1,0.2); "
                    + "n = round(F x L), half up; 0 is the unpruned model.")
    String fractions;

    @Option(names = "--tasks", split = ",", paramLabel = "TASK", description = "Evaluation tasks or groups, as for 'shallow eval' (the loss task is always added).")
    List<String> tasks = List.of();

    @Option(names = "--loss-data", required = true, paramLabel = "FILE", description = "Held-out text or JSONL whose loss is measured at every point.")
    Path lossData;

    @Option(names = "--loss-field", defaultValue = "text", description = "JSONL field of --loss-data (default: ${DEFAULT-VALUE}).")
    String lossField;

    @Option(names = "--limit", converter = Ranges.AtLeastOne.class, paramLabel = "N", description = "Evaluate only the first N documents of each task.")
    Integer limit;

    @Option(names = "--shots", converter = Ranges.AtLeastZero.class, paramLabel = "K", description = "Few-shot examples (default: each task's harness default).")
    Integer shots;

    @Option(names = "--fewshot-seed", defaultValue = "1234", description = "Seed of few-shot sampling (default: ${DEFAULT-VALUE}).")
    long fewshotSeed;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Task data, laid out like ../shared/data (default: ../shared/data beside the project).")
    Path dataDir;

    @Option(names = "--add-bos-token", description = "Encode evaluation requests with the tokenizer's BOS, as harness v0.4.10+.")
    boolean addBos;

    @Option(names = "--out", required = true, paramLabel = "RUN", description = "The sweep's directory: created, or resumed when it holds this sweep.")
    Path out;

    @Mixin
    AnalysisRunOptions run;

    @Mixin
    SweepHealOptions heal;

    @Mixin
    SparkOption spark;

    @Override
    public Integer call() {
        SweepOptions options = new SweepOptions(strategies.stream().map(Strategy::parse).toList(), Fractions.parse(fractions), tasks, lossData,
                lossField, limit == null ? 0 : limit, shots != null ? shots : TaskOptions.DEFAULT_SHOTS, fewshotSeed, run.seed, addBos,
                dataDir != null ? dataDir : Defaults.sharedData(), run.calibrationOptions(Objects.requireNonNullElse(run.data, AnalyseCommand.DEFAULT_DATA)),
                run.sharedData(), run.analysisOptions());
        if (!heal.methods().isEmpty()) options = options.withHeal(heal.options(options.calibration(), options.seed()), heal.methods());
        SweepRun result;
        try (Model model = Model.load(Defaults.modelOrDefault(modelLocation)); Cluster cluster = spark.connect()) {
            result = Sweep.run(model, options, out, cluster, new SweepProgressLine(System.err), Integer.MAX_VALUE);
        }
        long shared = result.points().stream().filter(p -> p.reusedFrom() != null).count(), healed = result.points().stream().filter(PointResult::healed).count();
        System.out.printf("%d of %d points in %s (%d evaluated, %d sharing an earlier point's layers%s)%n", result.points().size(), result.plannedPoints(),
                out.resolve(RunDirectory.RESULTS), result.points().size() - shared, shared, result.heals() ? ", " + healed + " healed" : "");
        double seconds = result.points().stream().mapToDouble(p -> p.seconds() + (p.heal() != null && p.reusedFrom() == null ? p.heal().seconds() : 0)).sum();
        System.out.printf("evaluation%s time %s; the report: shallow report %s --out %s%n", result.heals() ? " and healing" : "", ProgressLine.duration(seconds), out, out.resolve("report.html"));
        return 0;
    }
}
