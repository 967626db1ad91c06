package dev.shallow.cli;

import dev.shallow.analysis.Analyser;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.AnalysisOptions;
import dev.shallow.analysis.AngularTokens;
import dev.shallow.analysis.GreedyRemoval;
import dev.shallow.data.CalibrationOptions;
import dev.shallow.data.CalibrationSet;
import dev.shallow.model.Model;
import dev.shallow.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

@Command(name = "analyse", aliases = "analyze", mixinStandardHelpOptions = true,
        description = {"Measure which layers a model does not need, on calibration text, and write analysis.json:",
                "angular distance d(x_l, x_{l+n}) (Gromov et al.), Block Influence (ShortGPT), relative magnitude,",
                "linear CKA between layers, and optionally the loss with each single layer removed.",
                "Layers are 0-indexed; x_l is the residual stream entering layer l, x_L the last layer's output.",
                "In analysis.json, angular_distance[l][n-1] = d(x_l, x_{l+n}), null where l+n > L."})
final class AnalyseCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "Model directory (default: the bundled stories260K).")
    Path modelDir;

    @Option(names = "--data", defaultValue = "stories", paramLabel = "NAME|FILE",
            description = "Calibration text: a dataset of ../shared/data (stories, stories-heldout, tinystories, wikitext2, lambada, "
                    + "arc-easy, arc-challenge, boolq, openbookqa, gsm8k), a .jsonl file or a plain text file (default: ${DEFAULT-VALUE}). "
                    + "wikitext2 and lambada are test sets: prefer other text when they are also used for evaluation.")
    String data;

    @Option(names = "--text-field", defaultValue = "text", description = "JSONL field holding the text (default: ${DEFAULT-VALUE}).")
    String textField;

    @Option(names = "--samples", defaultValue = "64", description = "Calibration sequences (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--seq-len", defaultValue = "256", description = "Tokens per sequence, BOS included; capped at the model's context (default: ${DEFAULT-VALUE}).")
    int seqLen;

    static final class Layout {
        @Option(names = "--packing", description = "Join documents with EOS and cut full windows (default).")
        boolean packing;

        @Option(names = "--per-document", description = "One document per sequence, truncated to --seq-len; shorter ones kept.")
        boolean perDocument;
    }

    @ArgGroup(exclusive = true)
    Layout layout;

    @Option(names = "--no-bos", description = "Do not prepend BOS to each sequence.")
    boolean noBos;

    @Option(names = "--seed", defaultValue = "0", description = "Seed for the document shuffle and the CKA token sample (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--no-shuffle", description = "Take documents in file order.")
    boolean noShuffle;

    @Option(names = "--angular-tokens", defaultValue = "last", paramLabel = "last|all",
            description = "Average d over the last token of each sequence (Gromov et al.) or all tokens (default: ${DEFAULT-VALUE}).")
    String angularTokens;

    @Option(names = "--ablation", description = "Also measure the calibration loss with each single layer removed (L more passes).")
    boolean ablation;

    @Option(names = "--cka-tokens", defaultValue = "512", description = "Tokens in the CKA Gram matrices, 0 = no CKA (default: ${DEFAULT-VALUE}).")
    int ckaTokens;

    @Option(names = "--batch", defaultValue = "4", description = "Sequences per forward pass; results do not depend on it (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--greedy", paramLabel = "bi|angular|loss", description = "Also print a greedy iterative removal by this metric (re-measured after each removal).")
    String greedy;

    @Option(names = "--greedy-steps", defaultValue = "1", description = "Layers the greedy removal takes out (default: ${DEFAULT-VALUE}).")
    int greedySteps;

    @Option(names = "--shared-data", paramLabel = "DIR", description = "Where dataset names are looked up (default: ../shared/data beside the project).")
    Path sharedData;

    @Option(names = "--out", defaultValue = "analysis.json", description = "Output file (default: ${DEFAULT-VALUE}); written atomically.")
    Path out;

    @Mixin
    ThreadsOption threads;

    @Override
    public Integer call() {
        Path dir = Defaults.modelOrDefault(modelDir);
        AnalysisOptions options = new AnalysisOptions(AngularTokens.of(angularTokens), ablation, batch, ckaTokens, seed);
        GreedyRemoval.Metric greedyMetric = greedy == null ? null : metric(greedy);
        try (Model model = Model.load(dir)) {
            boolean packing = layout == null || !layout.perDocument;
            CalibrationSet cal = CalibrationSet.load(new CalibrationOptions(data, textField, samples, seqLen, packing, !noBos, !noShuffle, seed),
                    Tokenizer.load(dir), model.config().maxPositionEmbeddings(),
                    sharedData != null ? sharedData : defaultSharedData());
            ProgressLine progress = new ProgressLine(System.err);
            Analysis a = Analyser.run(model, cal, options, progress);
            progress.finish();
            a.write(out);
            summarise(a, cal, System.out);
            if (greedyMetric != null) {
                List<GreedyRemoval.Step> steps = GreedyRemoval.run(model, cal.sequences(), greedyMetric, greedySteps, batch, progress);
                progress.finish();
                System.out.println("greedy removal by " + greedy + ":");
                for (GreedyRemoval.Step s : steps) System.out.printf(Locale.ROOT, "  remove layer %d (%s %.4f)%n", s.removedLayer(), greedy, s.score());
            }
            System.out.println("wrote " + out);
        }
        return 0;
    }

    /** ../shared/data beside the project (or under -Dshallow.shared, as the tests set it). */
    private static Path defaultSharedData() {
        String shared = System.getProperty("shallow.shared");
        return (shared != null ? Path.of(shared) : Defaults.home().toAbsolutePath().normalize().resolveSibling("shared")).resolve("data");
    }

    private static GreedyRemoval.Metric metric(String name) {
        return switch (name) {
            case "bi" -> GreedyRemoval.Metric.BI;
            case "angular" -> GreedyRemoval.Metric.ANGULAR;
            case "loss" -> GreedyRemoval.Metric.LOSS;
            default -> throw new IllegalArgumentException("--greedy must be bi, angular or loss, got '" + name + "'");
        };
    }

    /** The best block for each n, the lowest-BI layers and the losses, readable. */
    static void summarise(Analysis a, CalibrationSet cal, PrintStream out) {
        int layers = a.numLayers();
        out.printf(Locale.ROOT, "%s: %d layers, calibrated on %d x %d tokens of %s (token sha256 %s)%n", a.model().path(), layers,
                cal.sequences().length, cal.options().seqLen(), cal.options().data(), cal.tokenHash());
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
    }
}
