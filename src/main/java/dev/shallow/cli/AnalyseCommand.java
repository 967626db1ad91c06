package dev.shallow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shallow.ShallowException;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.AnalysisOptions;
import dev.shallow.analysis.GreedyRemoval;
import dev.shallow.analysis.SubBlockAnalysis;
import dev.shallow.cluster.Cluster;
import dev.shallow.io.OutputPolicy;
import dev.shallow.io.RunLock;
import dev.shallow.model.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.IntStream;

@Command(name = "analyse", aliases = "analyze", mixinStandardHelpOptions = true,
        description = {"Measure which layers a model does not need, on calibration text, and write analysis.json:",
                "angular distance d(x_l, x_{l+n}) (Gromov et al.), Block Influence (ShortGPT), relative magnitude,",
                "linear CKA between layers, and optionally the loss with each single layer removed.",
                "Layers are 0-indexed; x_l is the residual stream entering layer l, x_L the last layer's output.",
                "In analysis.json, angular_distance[l][n-1] = d(x_l, x_{l+n}), null where l+n > L."})
final class AnalyseCommand implements java.util.concurrent.Callable<Integer> {
    static final String DEFAULT_DATA = "stories";

    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "Model directory or GGUF file (default: the bundled stories260K); with --spark "
            + "also a URI of a Hadoop FileSystem (hdfs://, s3a://, ...), copied once into each machine's cache.")
    String modelLocation;

    @Mixin
    AnalysisRunOptions run;

    @Option(names = "--out", defaultValue = "analysis.json", description = "Output file (default: ${DEFAULT-VALUE}); written atomically.")
    Path out;

    @Mixin
    SparkOption spark;

    @Option(names = "--spark-partitions", converter = Ranges.AtLeastOne.class, paramLabel = "N",
            description = "With --spark: cut the calibration sequences into N contiguous ranges, one Spark task each per pass "
                    + "(default: Spark's default parallelism, at most one per sequence). The result does not depend on it.")
    Integer sparkPartitions;

    @Override
    public Integer call() {
        AnalysisOptions options = run.analysisOptions();
        if (sparkPartitions != null && spark.master == null) throw new ShallowException("--spark-partitions: needs --spark");
        Path dir = Defaults.modelOrDefault(modelLocation);
        OutputPolicy.checkFile(out, dir, OutputPolicy.existing(run.data));
        try (RunLock lock = RunLock.file(out); Model model = Model.load(dir); Cluster cluster = spark.connect()) {
            Analysis a = run.analyse(model, Objects.requireNonNullElse(run.data, DEFAULT_DATA), options, cluster, Objects.requireNonNullElse(sparkPartitions, 0));
            a.write(out);
            summarise(a, System.out);
            System.out.println("wrote " + out);
        }
        return 0;
    }

    /** Per layer: Block Influence across the attention and the MLP, their ablation losses, and the worst and best head. */
    private static void summariseSubBlocks(Analysis a, PrintStream out) {
        SubBlockAnalysis s = a.subBlocks();
        if (s == null) return;
        out.println("sub-blocks: Block Influence across attention / MLP" + (s.attentionAblation() == null ? "" : ", loss without attention / MLP")
                + (s.heads() == null ? "" : ", loss with one head zeroed (min-max)") + ":");
        for (int l = 0; l < a.numLayers(); l++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  layer %-3d BI %.4f / %.4f", l, s.metrics().attentionInfluence()[l],
                    s.metrics().mlpInfluence()[l]));
            if (s.attentionAblation() != null) line.append(String.format(Locale.ROOT, "  loss %.4f / %.4f", s.attentionAblation()[l], s.mlpAblation()[l]));
            if (s.heads() != null) {
                var stats = java.util.Arrays.stream(s.heads().heads()[l]).summaryStatistics();
                line.append(String.format(Locale.ROOT, "  heads %.4f-%.4f", stats.getMin(), stats.getMax()));
            }
            out.println(line);
        }
        if (!s.greedy().isEmpty()) {
            out.println("greedy sub-block removal by calibration loss (BlockPruner):");
            for (var step : s.greedy()) out.printf(Locale.ROOT, "  remove %s (loss %.4f)%n", step.block(), step.loss());
        }
    }

    /** The best block for each n, the lowest-BI layers and the losses, readable. */
    static void summarise(Analysis a, PrintStream out) {
        int layers = a.numLayers();
        JsonNode cal = a.options().path("calibration");
        out.printf(Locale.ROOT, "%s: %d layers, calibrated on %d x %d tokens of %s (token sha256 %s)%n", a.model().path(), layers,
                cal.path("samples").asInt(), cal.path("seq_len").asInt(), cal.path("data").asText(), a.calibrationHash());
        out.println("best block to drop for each n (angular distance d(x_l, x_{l+n}), " + a.angularTokens() + " token):");
        for (int n = 1; n < layers; n++) {
            int l = a.bestBlockStart(n);
            out.printf(Locale.ROOT, "  n=%-3d layers %-7s d=%.4f%n", n, n == 1 ? String.valueOf(l) : l + "-" + (l + n - 1), a.angularDistance()[l][n - 1]);
        }
        int[] byBi = IntStream.range(0, layers).boxed().sorted(Comparator.comparingDouble(l -> a.blockInfluence()[l])).mapToInt(i -> i).toArray();
        StringBuilder low = new StringBuilder("lowest Block Influence:");
        for (int i = 0; i < Math.min(8, layers); i++) low.append(String.format(Locale.ROOT, " %d (%.4f)", byBi[i], a.blockInfluence()[byBi[i]]));
        out.println(low);
        if (a.ablationLoss() != null) {
            StringBuilder abl = new StringBuilder(String.format(Locale.ROOT, "calibration loss %.4f nats; without layer l:", a.baselineLoss()));
            for (int l = 0; l < layers; l++) abl.append(String.format(Locale.ROOT, " %d:%.4f", l, a.ablationLoss()[l]));
            out.println(abl);
        }
        summariseSubBlocks(a, out);
        a.greedy().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            out.println("greedy removal by " + e.getKey().label() + ":");
            for (GreedyRemoval.Step s : e.getValue()) out.printf(Locale.ROOT, "  remove layer %d (%s %.4f)%n", s.removedLayer(), e.getKey().label(), s.score());
        });
    }
}
