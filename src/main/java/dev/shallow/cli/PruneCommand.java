package dev.shallow.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.convert.GgufExporter;
import dev.shallow.convert.GgufOutputFile;
import dev.shallow.convert.GgufTensorTypes;
import dev.shallow.convert.PruningMetadata;
import dev.shallow.io.GgmlType;
import dev.shallow.io.GgufWeights;
import dev.shallow.io.OutputPolicy;
import dev.shallow.data.CalibrationSet;
import dev.shallow.model.AbsentSubBlocks;
import dev.shallow.model.Model;
import dev.shallow.model.family.Deci;
import dev.shallow.prune.Layers;
import dev.shallow.prune.LinearReplacement;
import dev.shallow.prune.MergekitConfig;
import dev.shallow.prune.Plan;
import dev.shallow.prune.PruneResult;
import dev.shallow.prune.Pruner;
import dev.shallow.prune.Removal;
import dev.shallow.prune.PruningRecord;
import dev.shallow.prune.SourceModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "prune", mixinStandardHelpOptions = true,
        description = {"Write MODEL without some layers, the rest renumbered. As a Hugging Face checkpoint in directory OUT (--format hf, "
                + "the default for a directory): tensors copied byte for byte, sharded like MODEL, config.json with num_hidden_layers and "
                + "per-layer arrays cut, other files copied, and shallow_pruning.json recording what was removed and why. As one GGUF file "
                + "OUT.gguf (--format gguf, the default for a .gguf MODEL): from a GGUF every kept tensor's bytes as they are, whatever "
                + "their type, block_count set, per-layer arrays cut, every other key and the tokenizer kept; from a directory as "
                + "'shallow convert' writes it; the record in the shallow.pruning.* keys.",
                "Choose the layers with exactly one of --remove, --plan, or --strategy with --n/--fraction. "
                        + "Layers are 0-indexed; --remove takes indices and inclusive ranges: 21-29, 3,5,7-9.",
                "--remove-attention and --remove-mlp (with --remove or alone) remove sub-blocks of kept layers: --format hf zeroes "
                        + "their output projections (no faster), --format gguf writes llama.cpp's deci architecture (llama and mistral "
                        + "only), which skips them."})
final class PruneCommand implements Callable<Integer> {
    enum Format { hf, gguf }

    static final double DEFAULT_RIDGE = 0;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Hugging Face model directory, or a GGUF file.")
    Path modelDir;

    @Option(names = "--remove", paramLabel = "LAYERS", description = "Layers to remove, e.g. 21-29 or 3,5,7-9 (0-indexed, ranges inclusive).")
    String remove;

    @Option(names = "--remove-attention", paramLabel = "LAYERS", description = "Layers whose attention sub-block to remove (same syntax as "
            + "--remove; with --remove or alone). --format hf zeroes their o_proj (and its bias): a standard checkpoint, no faster; "
            + "--format gguf writes llama.cpp's deci architecture, which skips them.")
    String removeAttention;

    @Option(names = "--remove-mlp", paramLabel = "LAYERS", description = "Layers whose MLP sub-block to remove, as --remove-attention "
            + "(down_proj zeroed in --format hf). A layer named in both is removed as a whole layer.")
    String removeMlp;

    @Option(names = "--plan", paramLabel = "FILE", description = "A plan written by 'shallow plan --out' for this model.")
    Path planFile;

    @Mixin
    PlanOptions options;

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "Directory to write (must not exist, be empty, or with "
            + "--force be one shallow wrote); with --format gguf the .gguf file to write (replaced only with --force).")
    Path out;

    @Option(names = "--format", paramLabel = "hf|gguf", description = "hf: a Hugging Face directory (MODEL must be one); gguf: one GGUF "
            + "file. Default: MODEL's format.")
    Format format;

    @Option(names = "--dtype", paramLabel = "f32|f16|bf16|q8_0", description = "With --format gguf: the type of the weights (norms and 1-D tensors "
            + "stay F32, as llama.cpp's converter writes them); default: as stored.")
    String dtype;

    @Option(names = "--allow-ignored-window", description = "With --format gguf from a directory: write a model whose sliding window "
            + "llama.cpp's graph ignores, with a warning, instead of refusing it.")
    boolean allowIgnoredWindow;

    @Option(names = "--mergekit", paramLabel = "FILE.yaml", description = "Also write mergekit's passthrough YAML (beside OUT) that rebuilds "
            + "the same pruned model from MODEL (a Hugging Face directory); its layer_range slices are half-open.")
    Path mergekit;

    @Option(names = "--modelfile", paramLabel = "FILE", description = "With --format gguf: also write Ollama's Modelfile for OUT "
            + "(ollama create NAME -f FILE).")
    Path modelfile;

    @Option(names = "--replace", paramLabel = "linear", description = "Heal without training (ReplaceMe): for each run of removed layers, "
            + "estimate on the --data calibration tokens the linear map T that best carries the MLP output of the kept layer before it to the "
            + "unpruned model's residual stream after the run (least squares in float64), and fold it into that layer's down_proj "
            + "(W' = T^T W): same shapes, loads anywhere (--format hf or gguf; a float model: a quantized GGUF is refused). Not Gemma 2/3 (MLP "
            + "output normed after down_proj).")
    String replace;

    @Option(names = "--ridge", converter = Ranges.AtLeastZeroReal.class, paramLabel = "R", description = "With --replace: the ridge term "
            + "lambda = R x trace(M^T M) / hidden (relative to the MLP outputs' scale; default: 0, the paper's plain least squares).")
    Double ridge;

    @Option(names = "--force", description = "Replace OUT if shallow wrote it (it holds .shallow-output); never a directory shallow did not "
            + "write. With --format gguf: replace an existing OUT file; with --modelfile, an existing Modelfile.")
    boolean force;

    @Override
    public Integer call() {
        boolean ggufIn = GgufWeights.isGguf(modelDir);
        boolean ggufOut = (format != null ? format : ggufIn ? Format.gguf : Format.hf) == Format.gguf;
        if (ggufIn && !ggufOut) {
            throw ShallowException.at(modelDir, "prune: a GGUF model is pruned to a GGUF file only (--format gguf); for a Hugging Face "
                    + "directory, convert it first ('shallow convert MODEL.gguf --out DIR')");
        }
        if (!ggufOut && (dtype != null || allowIgnoredWindow)) throw new ShallowException("--dtype and --allow-ignored-window go with --format gguf");
        GgmlType type = dtype == null ? null : GgufTensorTypes.parse(dtype);
        if (replace != null) checkReplace();
        else if (ridge != null) throw new ShallowException("--ridge goes with --replace linear");
        if (ggufIn && mergekit != null) throw ShallowException.at(modelDir, "--mergekit rebuilds from a Hugging Face checkpoint; MODEL is a GGUF file");
        Path[] inputs = {modelDir, planFile, options.analysisFile, options.dataFile()};
        if (ggufOut) GgufOutputFile.check(out, force, inputs);
        else OutputPolicy.checkDirectory(out, force, inputs);
        if (mergekit != null) {
            OutputPolicy.checkFile(mergekit, inputs);
            OutputPolicy.requireApartFromOutput(mergekit, out);
        }
        if (modelfile != null) {
            if (!ggufOut) throw new ShallowException("--modelfile goes with --format gguf (Ollama runs GGUF files)");
            ConvertCommand.checkModelfile(modelfile, force, out, inputs);
            OutputPolicy.requireApartFromOutput(modelfile, mergekit);
        }
        ModelIdentity model = SourceModel.identity(modelDir);
        boolean subBlocks = removeAttention != null || removeMlp != null;
        boolean strategy = replace != null ? options.strategyGiven() : options.anyGiven(); // with --replace, --data is the replacement's calibration
        int given = (remove != null ? 1 : 0) + (planFile != null ? 1 : 0) + (strategy ? 1 : 0);
        if (subBlocks && (planFile != null || strategy)) throw new ShallowException("--remove-attention and --remove-mlp go with --remove or alone, not with --plan or --strategy");
        if (!subBlocks && given != 1) throw new ShallowException("choose the layers with exactly one of --remove, --plan, or --strategy with --n/--fraction");
        if (subBlocks && mergekit != null) throw new ShallowException("--mergekit rebuilds whole-layer prunings; mergekit cannot remove --remove-attention / --remove-mlp sub-blocks");
        int n = model.numLayers();
        PruningRecord record;
        int[] removed, attention = parse(removeAttention, n), mlp = parse(removeMlp, n);
        if (remove != null || subBlocks) {
            removed = remove != null ? Layers.parse(remove, n) : new int[0];
            record = PruningRecord.explicit();
        } else {
            Plan plan = planFile != null ? Plan.read(planFile) : strategyPlan(model);
            if (planFile != null) SourceModel.requireSame(planFile, plan.model(), model);
            removed = plan.removed().length == 0 ? new int[0] : Pruner.sortedRemovable(plan.removed(), n, PruningRecord.of(plan, planFile)); // a sub-block plan may keep every layer
            attention = plan.removedAttention(); // a sub-block strategy's plan: attention and MLP sub-blocks of kept layers
            mlp = plan.removedMlp();
            record = PruningRecord.of(plan, planFile);
            PlanCommand.print(plan);
        }
        Removal removal = Removal.of(n, removed, attention, mlp, AbsentSubBlocks.of(modelDir));
        if (removal.layers().length == 0 && !removal.removesSubBlocks()) throw new ShallowException("nothing to remove: the model already lacks those sub-blocks");
        if (removal.removesSubBlocks() && mergekit != null) {
            throw new ShallowException("--mergekit rebuilds whole-layer prunings; mergekit cannot remove the plan's attention / MLP sub-blocks");
        }
        String yaml = mergekit == null ? null : MergekitConfig.yaml(modelDir, removal.kept(), record.strategy());
        if (ggufOut) {
            pruneToGguf(model, removal, record, replace == null ? null : replacement(removal), type, ggufIn);
        } else {
            PruneResult r = Pruner.prune(modelDir, removal, record, replace == null ? null : replacement(removal), out, force);
            System.out.printf("wrote %s: removed %s%n", r.out(), removal.describe());
            if (removal.removesSubBlocks()) {
                System.out.printf("sub-blocks  %s zeroed (o_proj / down_proj and their biases; listed in %s): a standard checkpoint every tool "
                        + "loads, no faster; --format gguf writes llama.cpp's deci, which skips them%n", removal.describeSubBlocks(), Pruner.RECORD);
            }
            print(r);
        }
        if (yaml != null) {
            MergekitConfig.write(mergekit, yaml);
            System.out.printf("wrote %s (mergekit passthrough, layer_range half-open)%n", mergekit);
        }
        return 0;
    }

    private void checkReplace() {
        if (!replace.equals(LinearReplacement.METHOD)) throw new ShallowException("--replace: unknown method '" + replace + "' (known: linear)");
        if (options.run.data == null) throw new ShallowException("--replace linear needs calibration text: give --data NAME|FILE");
    }

    /** The ReplaceMe maps for {@code removal}, estimated on the calibration text and printed per cut. */
    private LinearReplacement replacement(Removal removal) {
        try (Model m = Model.load(modelDir)) {
            CalibrationSet cal = options.run.calibration(m, options.run.data);
            long start = System.nanoTime();
            LinearReplacement r = LinearReplacement.estimate(m, removal, cal.sequences(), cal.toJson(), ridge == null ? DEFAULT_RIDGE : ridge,
                    options.run.batch);
            for (LinearReplacement.Fit f : r.fits()) {
                System.out.printf("replace     layers %s: map folded into layer %d's down projection; residual error %.4f of ||L - A||^2 "
                                + "(%.4f with the layers just removed), %,d tokens, lambda %.3g%n",
                        Layers.format(f.removed()), f.layer(), f.error(),
                        f.errorWithoutMap(), f.tokens(), f.lambda());
            }
            System.out.printf("replace     estimated in %.1f s on %,d calibration tokens%n", (System.nanoTime() - start) / 1e9, cal.tokens());
            return r;
        }
    }

    private static int[] parse(String layers, int n) {
        return layers == null ? new int[0] : Layers.parse(layers, n);
    }

    private void pruneToGguf(ModelIdentity model, Removal removal, PruningRecord record, LinearReplacement replacement, GgmlType type, boolean ggufIn) {
        int[] kept = removal.kept();
        String arch;
        if (ggufIn) {
            arch = Pruner.pruneGguf(modelDir, model, removal, record, type, replacement, out).architecture();
        } else {
            ObjectNode json = Pruner.record(model, removal, record, PruningMetadata.previous(modelDir), replacement);
            GgufExporter.Result r = GgufExporter.write(modelDir, out, new GgufExporter.Options(type, allowIgnoredWindow), kept, removal.absentAfter(), json,
                    replacement == null ? Map.of() : replacement.tensors());
            r.warnings().forEach(w -> System.err.println("shallow: warning: " + w));
            arch = r.architecture();
        }
        System.out.printf("wrote %s: removed %s%n", out, removal.describe());
        System.out.printf("layers      %,d -> %,d%n", model.numLayers(), kept.length);
        if (arch.equals(Deci.ARCHITECTURE)) {
            System.out.printf("sub-blocks  absent from the file (llama.cpp's deci architecture: per-layer head counts and feed-forward lengths, "
                    + "so llama.cpp and Shallow skip them)%n");
        }
        System.out.printf("file        %,d bytes (GGUF; what was removed is in its shallow.pruning.* keys)%n", out.toFile().length());
        if (modelfile != null) ConvertCommand.writeModelfile(modelfile, out);
    }

    private static void print(PruneResult r) {
        System.out.printf("layers      %,d -> %,d%n", r.layersBefore(), r.layersAfter());
        System.out.printf("parameters  %,d -> %,d (%.1f%%)%n", r.parametersBefore(), r.parametersAfter(), 100.0 * r.parametersAfter() / r.parametersBefore());
        System.out.printf("weights     %,d -> %,d bytes%n", r.weightBytesBefore(), r.weightBytesAfter());
        System.out.printf("files       %s%n", String.join(", ", r.files()));
        if (!r.notCopied().isEmpty()) System.out.printf("not copied  %s (other weight formats or directories)%n", String.join(", ", r.notCopied()));
    }

    private Plan strategyPlan(ModelIdentity model) {
        int count = options.count(model.numLayers());
        return options.plan(model, options.analysis(modelDir, model, count, replace != null), count);
    }
}
