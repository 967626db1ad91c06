package dev.shallow.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.Version;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.cluster.Cluster;
import dev.shallow.eval.ClusterLM;
import dev.shallow.eval.Evaluator;
import dev.shallow.eval.HarnessEncoding;
import dev.shallow.eval.PrefixSharing;
import dev.shallow.eval.ResultsJson;
import dev.shallow.eval.ResultsTable;
import dev.shallow.eval.LanguageModel;
import dev.shallow.eval.TaskOptions;
import dev.shallow.eval.TransformerLM;
import dev.shallow.eval.task.TaskRegistry;
import dev.shallow.io.OutputPolicy;
import dev.shallow.model.Model;
import dev.shallow.prune.Layers;
import dev.shallow.tensor.Matmul;
import dev.shallow.prune.Plan;
import dev.shallow.prune.SourceModel;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.Transformer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Score a model on lm-evaluation-harness tasks the way the harness scores a Hugging Face model, and write",
                "results.json in the harness's layout. The model can be run with layers removed (--remove or --plan) without writing",
                "a checkpoint. Tasks: mmlu (57 subjects, 5-shot, and its groups), mmlu_<subject>, arc_easy, arc_challenge, boolq,",
                "piqa, winogrande, hellaswag, openbookqa, lambada_openai, wikitext, gsm8k, and loss (on --loss-data). With --spark, each",
                "task's requests (each MMLU subject's) are cut into shards, each a Spark task; the results are the local run's."})
final class EvalCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "Model directory or GGUF file (default: the bundled stories260K); with --spark "
            + "also a URI of a Hadoop FileSystem (hdfs://, s3a://, ...), copied once into each machine's cache.")
    String modelLocation;

    @Option(names = "--tasks", required = true, split = ",", paramLabel = "TASK", description = "Tasks or groups, comma-separated.")
    List<String> tasks;

    @Option(names = "--limit", converter = Ranges.AtLeastOne.class, paramLabel = "N", description = "Evaluate only the first N documents of each task.")
    Integer limit;

    @Option(names = "--shots", converter = Ranges.AtLeastZero.class, paramLabel = "K", description = "Few-shot examples (default: each task's harness default: 5 for mmlu, 0 for the others).")
    Integer shots;

    @Option(names = "--seed", defaultValue = "1234", description = "Seed of few-shot sampling for tasks without a few-shot split (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the results JSON here (atomically).")
    Path out;

    @Option(names = "--log-samples", description = "Also write every document's requests, responses and scores, one JSON line each, "
            + "to <out stem>_samples_<task>.jsonl beside --out.")
    boolean logSamples;

    @Option(names = "--remove", paramLabel = "LAYERS", description = "Run without these layers, e.g. 8-9 or 3,5 (0-indexed, ranges inclusive).")
    String remove;

    @Option(names = "--plan", paramLabel = "FILE", description = "Run without the layers a plan (from 'shallow plan --out') removes.")
    Path planFile;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Task data, laid out like ../shared/data (default: ../shared/data beside the project).")
    Path dataDir;

    @Option(names = "--loss-data", paramLabel = "FILE", description = "Text or JSONL file for the loss task (mean nats per token, perplexity).")
    Path lossData;

    @Option(names = "--loss-field", defaultValue = "text", description = "JSONL field of --loss-data (default: ${DEFAULT-VALUE}).")
    String lossField;

    @Option(names = "--add-bos-token", description = "Encode with the tokenizer's special tokens (BOS), as harness v0.4.10+ does for tokenizers that "
            + "add one; default: no BOS, as the harness did up to v0.4.9.")
    boolean addBos;

    @Option(names = "--batch-tokens", converter = Ranges.AtLeastOne.class, defaultValue = "2048", description = "Tokens per forward call (default: ${DEFAULT-VALUE}).")
    int batchTokens;

    @Option(names = "--no-prefix-sharing", description = "Compute every request alone: no KV cache of a shared context or few-shot prefix is reused (slower; for comparison).")
    boolean noPrefixSharing;

    @Option(names = "--prefix-cache-mb", converter = Ranges.AtLeastZero.class, paramLabel = "MB",
            description = {"KV caches of few-shot prefixes that requests share, held at once: at most this many MiB (default: a quarter of the JVM's heap).",
                    "A prefix beyond it is recomputed by each request; 0 shares only the context of one question's choices. Scores do not depend on it."})
    Integer prefixCacheMb;

    @Option(names = "--bootstrap-iters", converter = Ranges.AtLeastZero.class, defaultValue = "100000", description = "Resamples for bootstrapped stderrs, as the harness (default: ${DEFAULT-VALUE}).")
    int bootstrapIters;

    @Mixin
    MemoryBudgetOption memory;

    @Mixin
    ThreadsOption threads;

    @Mixin
    PrecisionOption precision;

    @Mixin
    SparkOption spark;

    @Option(names = "--spark-shards", converter = Ranges.AtLeastOne.class, paramLabel = "N",
            description = {"With --spark: cut each task's requests into N contiguous shards, one Spark task each (default: as many as Spark's "
                    + "default parallelism needs; 1: each task whole). The results do not depend on it; each shard recomputes the few-shot "
                    + "prefixes its requests share. Generation tasks stay whole; with products on oneDNN (--precision bf16, --matmul onednn) "
                    + "every task stays whole and N > 1 is refused."})
    Integer sparkShards;

    @Override
    public Integer call() {
        if (logSamples && out == null) throw new ShallowException("--log-samples needs --out");
        if (sparkShards != null && spark.master == null) throw new ShallowException("--spark-shards: needs --spark");
        if (remove != null && planFile != null) throw new ShallowException("give the layers to remove with --remove or --plan, not both");
        PrefixSharing sharing = prefixSharing();
        Path dir = Defaults.modelOrDefault(modelLocation);
        TaskRegistry.Selection selection = TaskRegistry.resolve(tasks,
                new TaskOptions(dataDir != null ? dataDir : Defaults.sharedData(), shots != null ? shots : TaskOptions.DEFAULT_SHOTS, seed),
                lossData, lossField);
        if (out != null) OutputPolicy.checkFile(out, dir, planFile, lossData, dataDir);
        if (logSamples) selection.tasks().forEach(t -> OutputPolicy.checkFile(samplesFile(t.name()), dir, planFile, lossData, dataDir));
        try (Model model = Model.load(dir)) {
            int layers = model.config().numLayers();
            int[] removed = removedLayers(dir, layers);
            int[] kept = Transformer.without(layers, removed);
            ClusterLM.Spec spec = ClusterLM.Spec.of(dir, kept, addBos, batchTokens, sharing, memory.budget());
            ClusterLM.Sharding sharding = spark.master == null ? null : sharding(model, spec);
            evaluate(model, dir, removed, kept, sharing, selection, spec, sharding);
        }
        return 0;
    }

    /** Evaluates here, or on the cluster of --spark in {@code sharding}'s shards; prints the table and writes --out. */
    private void evaluate(Model model, Path dir, int[] removed, int[] kept, PrefixSharing sharing, TaskRegistry.Selection selection,
                          ClusterLM.Spec spec, ClusterLM.Sharding sharding) {
        int layers = model.config().numLayers();
        try (Cluster cluster = spark.connect()) {
            LanguageModel lm = cluster != null ? new ClusterLM(cluster, spec, sharding)
                    : new TransformerLM(new Transformer(model, kept), HarnessEncoding.of(Tokenizer.load(dir), addBos, model.config().maxPositionEmbeddings()),
                    batchTokens, sharing, memory.budget());
            System.err.printf("%s: %d of %d layers%s; %d tasks%n", dir, layers - removed.length, layers,
                    removed.length > 0 ? " (removed " + Layers.format(removed) + ")" : "", selection.tasks().size());
            ProgressLine progress = new ProgressLine(System.err);
            long t0 = System.nanoTime();
            Evaluator.Results results = Evaluator.evaluate(lm, selection.tasks(), selection.groups(),
                    new Evaluator.Options(limit == null ? 0 : limit, bootstrapIters), progress);
            progress.finish();
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.print(ResultsTable.format(results));
            long requests = results.tasks().stream().mapToLong(t -> t.docs().stream().mapToLong(d -> d.requests().size()).sum()).sum();
            System.out.printf(Locale.ROOT, "%,d requests in %.1f s (%.1f requests/s)%n", requests, seconds, requests / seconds);
            if (out != null) {
                ObjectNode config = config(dir, removed, layers, sharing, seconds);
                if (logSamples) {
                    for (Evaluator.TaskResult t : results.tasks()) ResultsJson.writeSamples(samplesFile(t.task().name()), t);
                }
                ResultsJson.write(out, results, config, Version.VERSION);
                System.out.println("wrote " + out);
            }
        }
    }

    /** How each task's requests are cut into shards on the cluster (--spark-shards), checked before Spark starts. */
    private ClusterLM.Sharding sharding(Model model, ClusterLM.Spec spec) {
        ClusterLM.Sharding sharding = ClusterLM.Sharding.of(sparkShards == null ? 0 : sparkShards, model, spec);
        if (!sharding.exact() && sparkShards == null) System.err.println("eval: products may run on oneDNN, which does not promise a request the same bits in another "
                + "batch: each task is one Spark task, whole");
        return sharding;
    }

    private PrefixSharing prefixSharing() {
        if (noPrefixSharing && prefixCacheMb != null) throw new ShallowException("--prefix-cache-mb bounds the prefix sharing that --no-prefix-sharing turns off: give one of them");
        if (noPrefixSharing) return PrefixSharing.OFF;
        return prefixCacheMb == null ? PrefixSharing.heapShare() : PrefixSharing.upTo(prefixCacheMb * (1L << 20));
    }

    private int[] removedLayers(Path dir, int layers) {
        if (remove != null) return Layers.parse(remove, layers);
        if (planFile == null) return new int[0];
        Plan plan = Plan.read(planFile);
        ModelIdentity model = SourceModel.identity(dir);
        SourceModel.requireSame(planFile, plan.model(), model);
        if (plan.selection().removesSubBlocks()) {
            throw ShallowException.at(planFile, "removes attention or MLP sub-blocks (strategy " + plan.strategy() + "); eval runs plans of whole layers "
                    + "(a sweep evaluates sub-block plans)");
        }
        return plan.removed();
    }

    private Path samplesFile(String task) {
        String name = out.getFileName().toString();
        String stem = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        return out.resolveSibling(stem + "_samples_" + task + ".jsonl");
    }

    /** The harness's "config" block, with what Shallow adds: the layers run, the BOS convention and batching. */
    private ObjectNode config(Path dir, int[] removed, int layers, PrefixSharing sharing, double seconds) {
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("model", "shallow");
        String args = "pretrained=" + dir + (removed.length > 0 ? ",remove_layers=" + Layers.format(removed) : "") + ",add_bos_token=" + addBos;
        c.put("model_args", args);
        c.put("model_num_layers", layers);
        var rem = c.putArray("removed_layers");
        Arrays.stream(removed).forEach(rem::add);
        c.put("add_bos_token", addBos);
        c.put("batch_tokens", batchTokens);
        c.put("prefix_sharing", sharing.enabled());
        c.put("prefix_cache_bytes", sharing.cacheBytes());
        c.put("limit", limit);
        c.put("bootstrap_iters", bootstrapIters);
        c.put("fewshot_seed", seed);
        c.put("precision", Matmul.precision().label()); // --precision: f32, or bf16 activations at every matrix product
        c.put("shallow_version", Version.VERSION);
        c.put("date", Instant.now().toString());
        c.put("total_evaluation_time_seconds", seconds);
        return c;
    }
}
