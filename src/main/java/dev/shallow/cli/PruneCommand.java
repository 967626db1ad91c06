package dev.shallow.cli;

import dev.shallow.ShallowException;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.io.GgufWeights;
import dev.shallow.io.OutputPolicy;
import dev.shallow.prune.Layers;
import dev.shallow.prune.MergekitConfig;
import dev.shallow.prune.Plan;
import dev.shallow.prune.PruneResult;
import dev.shallow.prune.Pruner;
import dev.shallow.prune.PruningRecord;
import dev.shallow.prune.SourceModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "prune", mixinStandardHelpOptions = true,
        description = {"Write MODEL without some layers as a Hugging Face checkpoint in OUT: the rest renumbered, tensors copied "
                + "byte for byte, sharded like MODEL, config.json with num_hidden_layers and per-layer arrays cut, other files "
                + "copied, and shallow_pruning.json recording what was removed and why.",
                "Choose the layers with exactly one of --remove, --plan, or --strategy with --n/--fraction. "
                        + "Layers are 0-indexed; --remove takes indices and inclusive ranges: 21-29, 3,5,7-9."})
final class PruneCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "Hugging Face model directory.")
    Path modelDir;

    @Option(names = "--remove", paramLabel = "LAYERS", description = "Layers to remove, e.g. 21-29 or 3,5,7-9 (0-indexed, ranges inclusive).")
    String remove;

    @Option(names = "--plan", paramLabel = "FILE", description = "A plan written by 'shallow plan --out' for this model.")
    Path planFile;

    @Mixin
    PlanOptions options;

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "Directory to write (must not exist, be empty, or with --force be one shallow wrote).")
    Path out;

    @Option(names = "--mergekit", paramLabel = "FILE.yaml", description = "Also write mergekit's passthrough YAML (beside OUT) that rebuilds "
            + "the same pruned model from MODEL; its layer_range slices are half-open.")
    Path mergekit;

    @Option(names = "--force", description = "Replace OUT if shallow wrote it (it holds .shallow-output); never a directory shallow did not write.")
    boolean force;

    @Override
    public Integer call() {
        GgufWeights.refuseOutput(modelDir, "prune");
        OutputPolicy.checkDirectory(out, force, modelDir, planFile, options.analysisFile, options.dataFile());
        if (mergekit != null) {
            OutputPolicy.checkFile(mergekit, modelDir, planFile, options.analysisFile, options.dataFile());
            OutputPolicy.requireApartFromOutput(mergekit, out);
        }
        ModelIdentity model = SourceModel.identity(modelDir);
        int given = (remove != null ? 1 : 0) + (planFile != null ? 1 : 0) + (options.anyGiven() ? 1 : 0);
        if (given != 1) throw new ShallowException("choose the layers with exactly one of --remove, --plan, or --strategy with --n/--fraction");
        PruningRecord record;
        int[] removed;
        if (remove != null) {
            removed = Layers.parse(remove, model.numLayers());
            record = PruningRecord.explicit();
        } else {
            Plan plan = planFile != null ? Plan.read(planFile) : strategyPlan(model);
            if (planFile != null) SourceModel.requireSame(planFile, plan.model(), model);
            removed = plan.removed();
            record = PruningRecord.of(plan, planFile);
            PlanCommand.print(plan);
        }
        String yaml = mergekit == null ? null : MergekitConfig.yaml(modelDir, Layers.kept(removed, model.numLayers()), record.strategy());
        PruneResult r = Pruner.prune(modelDir, removed, record, out, force);
        System.out.printf("wrote %s: removed layers %s%n", r.out(), Layers.format(removed));
        if (yaml != null) {
            MergekitConfig.write(mergekit, yaml);
            System.out.printf("wrote %s (mergekit passthrough, layer_range half-open)%n", mergekit);
        }
        System.out.printf("layers      %,d -> %,d%n", r.layersBefore(), r.layersAfter());
        System.out.printf("parameters  %,d -> %,d (%.1f%%)%n", r.parametersBefore(), r.parametersAfter(), 100.0 * r.parametersAfter() / r.parametersBefore());
        System.out.printf("weights     %,d -> %,d bytes%n", r.weightBytesBefore(), r.weightBytesAfter());
        System.out.printf("files       %s%n", String.join(", ", r.files()));
        if (!r.notCopied().isEmpty()) System.out.printf("not copied  %s (other weight formats or directories)%n", String.join(", ", r.notCopied()));
        return 0;
    }

    private Plan strategyPlan(ModelIdentity model) {
        int count = options.count(model.numLayers());
        return options.plan(model, options.analysis(modelDir, model, count), count);
    }
}
