package dev.shallow.cli;

import dev.shallow.analysis.Analyser;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.AnalysisOptions;
import dev.shallow.analysis.AngularTokens;
import dev.shallow.analysis.CalibrationRunner;
import dev.shallow.analysis.ClusterCalibration;
import dev.shallow.analysis.GreedyRemoval;
import dev.shallow.cluster.Cluster;
import dev.shallow.data.CalibrationOptions;
import dev.shallow.data.CalibrationSet;
import dev.shallow.model.Model;
import dev.shallow.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;

/**
 * How to run an analysis: the calibration data and the analysis options. Shared by {@code analyse} and by
 * {@code plan} / {@code prune}, which analyse in-process when a strategy needs an analysis and none is given.
 */
final class AnalysisRunOptions {
    @Spec(Spec.Target.SELF)
    CommandSpec self;

    @Option(names = "--data", paramLabel = "NAME|FILE",
            description = "Calibration text: a dataset of ../shared/data (stories, stories-heldout, tinystories, wikitext2, lambada, "
                    + "arc-easy, arc-challenge, boolq, openbookqa, gsm8k), a .jsonl file or a plain text file, or with --spark a Hadoop FileSystem URI "
                    + "of one (analyse, sweep: default stories; "
                    + "plan, prune: analyse the model on it now instead of reading --analysis). "
                    + "wikitext2 and lambada are test sets: prefer other text when they are also used for evaluation.")
    String data;

    @Option(names = "--text-field", defaultValue = "text", description = "JSONL field holding the text (default: ${DEFAULT-VALUE}).")
    String textField;

    @Option(names = "--samples", converter = Ranges.AtLeastOne.class, defaultValue = "64", description = "Calibration sequences (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--seq-len", converter = Ranges.AtLeastOne.class, defaultValue = "256", description = "Tokens per sequence, BOS included; at most the model's context (default: ${DEFAULT-VALUE}).")
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

    @Option(names = "--seed", defaultValue = "0",
            description = "Seed of the document shuffle and the CKA token sample; for plan, prune and sweep also of the random strategy (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--no-shuffle", description = "Take documents in file order.")
    boolean noShuffle;

    @Option(names = "--angular-tokens", defaultValue = "last", paramLabel = "last|all",
            description = "Average d over the last token of each sequence (Gromov et al.) or all tokens (default: ${DEFAULT-VALUE}).")
    String angularTokens;

    @Option(names = "--ablation", description = "Also measure the calibration loss with each single layer removed (L more passes), and with each "
            + "layer's attention or MLP removed (the prefix reused: about L more passes).")
    boolean ablation;

    @Option(names = "--heads", description = "Also measure the calibration loss with each attention head's output zeroed (ShortGPT Fig. 6) and, "
            + "with grouped-query attention, each key/value group's; with the sub-block ablation (the prefix reused: about (heads + groups + 2) x L / 2 passes).")
    boolean heads;

    @Option(names = "--greedy-sub-blocks", converter = Ranges.AtLeastZero.class, defaultValue = "0", paramLabel = "N",
            description = "Also run BlockPruner's greedy removal of attention/MLP sub-blocks by calibration loss, while one fits in N layers' "
                    + "parameters (default: ${DEFAULT-VALUE}, none).")
    int greedySubBlocks;

    @Option(names = "--cka-tokens", converter = Ranges.AtLeastZero.class, defaultValue = "512", description = "Tokens in the CKA Gram matrices, 0 = no CKA (default: ${DEFAULT-VALUE}).")
    int ckaTokens;

    @Option(names = "--batch", converter = Ranges.AtLeastOne.class, defaultValue = "4", description = "Sequences per forward pass; results do not depend on it (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--greedy", split = ",", paramLabel = "bi|angular|loss",
            description = "Also run a greedy iterative removal by these metrics (re-measured after each removal); stored in analysis.json.")
    List<String> greedy = List.of();

    @Option(names = "--greedy-steps", converter = Ranges.AtLeastOne.class, defaultValue = "1", description = "Layers each greedy removal takes out (default: ${DEFAULT-VALUE}).")
    int greedySteps;

    @Option(names = "--shared-data", paramLabel = "DIR", description = "Where dataset names are looked up (default: ../shared/data beside the project).")
    Path sharedData;

    @Mixin
    MemoryBudgetOption memory;

    @Mixin
    ThreadsOption threads;

    @Mixin
    PrecisionOption precision;

    AnalysisOptions analysisOptions() {
        return new AnalysisOptions(AngularTokens.of(angularTokens), ablation, batch, ckaTokens, seed,
                greedy.stream().map(GreedyRemoval.Metric::of).toList(), greedySteps, memory.budget(), heads, greedySubBlocks);
    }


    /** The options given on the command line other than --seed and --threads (which plan and prune use without an analysis too). */
    List<String> given() {
        var parsed = self.commandLine().getParseResult();
        return self.options().stream().filter(parsed::hasMatchedOption).map(OptionSpec::longestName)
                .filter(name -> !name.equals("--seed") && !name.equals("--threads")).toList();
    }

    /** How to read and cut the calibration text {@code data}. */
    CalibrationOptions calibrationOptions(String data) {
        boolean packing = layout == null || !layout.perDocument;
        return new CalibrationOptions(data, textField, samples, seqLen, packing, !noBos, !noShuffle, seed);
    }

    /** Where dataset names are looked up. */
    Path sharedData() {
        return sharedData != null ? sharedData : Defaults.sharedData();
    }

    /** The calibration text {@code data} tokenized for {@code model} and cut as the options say. */
    CalibrationSet calibration(Model model, String data) {
        return CalibrationSet.load(calibrationOptions(data), Tokenizer.load(model.dir()), model.config().maxPositionEmbeddings(), sharedData());
    }

    /** Tokenizes the calibration text {@code data} for {@code model} and analyses the model on it, with progress on stderr. */
    Analysis analyse(Model model, String data, AnalysisOptions options) {
        return analyse(model, data, options, null, 0);
    }

    /**
     * The same with every pass over the calibration set run on {@code cluster} (null: here) in {@code partitions} ranges
     * (0: the cluster's default).
     */
    Analysis analyse(Model model, String data, AnalysisOptions options, Cluster cluster, int partitions) {
        CalibrationSet cal = calibration(model, data);
        ProgressLine progress = new ProgressLine(System.err);
        CalibrationRunner runner = cluster == null ? CalibrationRunner.local(model, cal.sequences())
                : ClusterCalibration.on(cluster, model, cal.sequences(), partitions);
        Analysis a = Analyser.run(runner, cal, options, progress);
        progress.finish();
        return a;
    }
}
