package dev.shallow.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.analysis.Analysis;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.io.AtomicFiles;
import dev.shallow.io.OutputPolicy;
import dev.shallow.prune.Layers;
import dev.shallow.prune.MergekitConfig;
import dev.shallow.prune.Plan;
import dev.shallow.prune.SourceModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Choose the layers to remove by a strategy and print them; with --out, write the plan as JSON.",
                "Layers are 0-indexed; printed sets use inclusive ranges (6-9 = 6,7,8,9); the JSON uses explicit lists, "
                        + "with kept[new_index] = old_index."})
final class PlanCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "Model directory or GGUF file (default: the model the analysis names, else the bundled stories260K).")
    Path modelDir;

    @Mixin
    PlanOptions options;

    @Option(names = "--all-n", description = "Plans for every n = 1..L-1, printed as a table.")
    boolean allN;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the plan (with --all-n: all plans) as JSON.")
    Path out;

    @Option(names = "--mergekit", paramLabel = "FILE.yaml", description = "Write mergekit's passthrough YAML that rebuilds the model this plan "
            + "prunes from MODEL (half-open layer_range slices), without pruning.")
    Path mergekit;

    @Override
    public Integer call() {
        boolean fromAnalysis = modelDir == null && options.analysisFile != null;
        Path dir = Defaults.modelOrDefault(modelDir);
        if (out != null) OutputPolicy.checkFile(out, dir, options.analysisFile, options.dataFile());
        if (mergekit != null) checkMergekit(fromAnalysis, dir);
        ModelIdentity model = fromAnalysis ? Analysis.read(options.analysisFile).model() : SourceModel.identity(dir);
        int layers = model.numLayers();
        if (allN && (options.n != null || options.fraction != null)) throw new ShallowException("--all-n cannot be combined with --n or --fraction");
        Analysis analysis = options.analysis(dir, model, allN ? layers - 1 : options.count(layers));
        if (allN) {
            ObjectNode table = JsonNodeFactory.instance.objectNode();
            table.put("format", "shallow-plan-table");
            var plans = table.putArray("plans");
            System.out.printf("strategy %s on %s (%d layers); layers 0-indexed, ranges inclusive%n", options.strategy().cliName(), model.path(), layers);
            System.out.printf("%4s  %-24s %s%n", "n", "removed", "metric");
            for (int n = 1; n < layers; n++) {
                Plan p = options.plan(model, analysis, n);
                plans.add(p.toJson());
                System.out.printf("%4d  %-24s %s%n", n, removedText(p), metric(p));
            }
            if (out != null) AtomicFiles.writeJson(out, table);
        } else {
            Plan p = options.plan(model, analysis, options.count(layers));
            print(p);
            if (out != null) p.write(out);
            if (mergekit != null) {
                if (p.selection().removesSubBlocks()) throw new ShallowException("--mergekit: mergekit's passthrough cannot remove a sub-block (--strategy " + p.strategy() + ")");
                MergekitConfig.write(mergekit, MergekitConfig.yaml(dir, p.kept(), p.strategy()));
                System.out.printf("wrote %s (mergekit passthrough, layer_range half-open)%n", mergekit);
            }
        }
        if (out != null) System.out.printf("wrote %s%n", out);
        return 0;
    }

    /** --mergekit: one plan, from the model directory the YAML will name, to a file apart from the inputs and from --out. */
    private void checkMergekit(boolean fromAnalysis, Path dir) {
        if (allN) throw new ShallowException("--mergekit writes the YAML of one plan; it cannot be combined with --all-n");
        if (fromAnalysis) throw new ShallowException("--mergekit needs MODEL: the YAML names the model directory mergekit reads");
        OutputPolicy.checkFile(mergekit, dir, options.analysisFile, options.dataFile());
        OutputPolicy.requireApartFromOutput(mergekit, out);
    }

    /** The plan in a few lines: what is removed, the renumbering, and the metric values behind it. */
    static void print(Plan p) {
        String fraction = p.fraction() == null ? "" : ", fraction " + p.fraction() + " rounded half up";
        if (p.selection().removesSubBlocks()) {
            System.out.printf("%s: remove at most %d layers' parameters of %d layers (%s%s): layers %s, attention of %s, MLP of %s%n", p.model().path(),
                    p.n(), p.numLayers(), p.strategy(), fraction, orNone(p.removed()), orNone(p.removedAttention()), orNone(p.removedMlp()));
        } else {
            System.out.printf("%s: remove %d of %d layers (%s%s): %s%n", p.model().path(), p.n(), p.numLayers(), p.strategy(), fraction, Layers.format(p.removed()));
        }
        int[] kept = p.kept();
        System.out.printf("keep %d layers, new <- old: %s%n", kept.length,
                IntStream.range(0, kept.length).mapToObj(i -> i + "<-" + kept[i]).collect(Collectors.joining(" ")));
        if (!metric(p).isEmpty()) System.out.printf("metric: %s%n", metric(p));
    }

    /** The layers removed, then "attn L,.." and "mlp L,.." for sub-blocks removed alone. */
    private static String removedText(Plan p) {
        if (!p.selection().removesSubBlocks()) return Layers.format(p.removed());
        return "layers " + orNone(p.removed()) + " attn " + orNone(p.removedAttention()) + " mlp " + orNone(p.removedMlp());
    }

    private static String orNone(int[] layers) {
        return layers.length == 0 ? "none" : Layers.format(layers);
    }

    private static String metric(Plan p) {
        if (p.selection().values().length == 0) return p.seed() == null ? "" : "seed " + p.seed();
        return p.selection().metric() + " " + Arrays.stream(p.selection().values()).mapToObj(v -> String.format("%.5f", v))
                .collect(Collectors.joining(", "));
    }
}
