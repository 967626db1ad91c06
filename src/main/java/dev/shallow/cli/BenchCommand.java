package dev.shallow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shallow.ShallowException;
import dev.shallow.analysis.AnalysisOptions;
import dev.shallow.bench.AnalysisOverhead;
import dev.shallow.bench.Bench;
import dev.shallow.bench.BenchPart;
import dev.shallow.bench.BenchReport;
import dev.shallow.bench.GgufSpeed;
import dev.shallow.convert.GgufExporter;
import dev.shallow.convert.GgufTensorTypes;
import dev.shallow.io.GgmlType;
import dev.shallow.bench.LlamaCppBaseline;
import dev.shallow.bench.LlamaCppProcess;
import dev.shallow.bench.Measurement;
import dev.shallow.bench.ModelShape;
import dev.shallow.bench.PeakMemory;
import dev.shallow.bench.PrunedSpeed;
import dev.shallow.bench.RandomCheckpoint;
import dev.shallow.bench.SlidingShape;
import dev.shallow.bench.SlidingSpeed;
import dev.shallow.bench.TorchBaseline;
import dev.shallow.bench.WeightCost;
import dev.shallow.bench.Workload;
import dev.shallow.io.AtomicFiles;
import dev.shallow.io.OutputPolicy;
import dev.shallow.model.Model;
import dev.shallow.prune.Layers;
import dev.shallow.prune.Removal;
import dev.shallow.tensor.Matmul;
import dev.shallow.tensor.MatmulPrecision;
import dev.shallow.tensor.Parallel;
import dev.shallow.transformer.Transformer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure prefill and decode tokens/s, eval requests/s, LoRA training tokens/s and the peak memory of Shallow and of PyTorch (float32 and bfloat16) on the same CPU in one run, and print their ratios;",
                "the speed-up of Shallow's model with 25%% and 50%% of its layers removed;",
                "what collecting every analysis metric costs Shallow on a calibration batch, as a ratio to a plain forward;",
                "and (opt-in: --workloads sliding) long prompts through a sliding-window model against the same weights with full attention.",
                "With --gguf, llama.cpp (tools/llamacpp, node-llama-cpp's prebuilt CPU build) runs prefill and decode on that GGUF beside them;",
                "otherwise the gguf workload writes the checkpoint as GGUF at each --gguf-dtypes type (F32, BF16, Q8_0) and runs Shallow and llama.cpp on each file.",
                "Without --model it writes (once, then reuses) a TinyLlama-1.1B-shaped checkpoint of seeded random BF16 weights under bench-cache/."})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR", description = "Model directory to benchmark (default: the random checkpoint of --shape).")
    Path modelDir;

    @Option(names = "--gguf", paramLabel = "FILE", description = {"A GGUF of the model: llama.cpp runs prefill128, prefill512 and decode on it "
            + "(installed by scripts/install_llamacpp.sh). Without --model, Shallow runs on this GGUF too (and PyTorch, which needs a "
            + "Hugging Face directory, does not); with --model DIR, Shallow and PyTorch run on DIR and FILE must hold the same weights."})
    Path gguf;

    @Option(names = "--llamacpp", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Run llama.cpp on --gguf; --no-llamacpp skips it.")
    boolean llamaCpp;

    @Option(names = "--shape", defaultValue = "tinyllama-1.1b", description = "Shape of the random checkpoint: tinyllama-1.1b or llama2-7b (default: ${DEFAULT-VALUE}).")
    String shape;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random weights and of the prompts' ids (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", defaultValue = "2", paramLabel = "N", description = "Threads for Shallow and for PyTorch (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--torch", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also run the PyTorch baseline (scripts/bench_torch.py); --no-torch measures Shallow only.")
    boolean torch;

    @Option(names = "--repeats", defaultValue = "3", description = "Timed runs per workload after a warm-up; the fastest counts (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--budget", defaultValue = "60", paramLabel = "SECONDS",
            description = "Stop repeating a workload once its timed runs took this long; the gguf workload's rounds stop after this long per file and engine (default: ${DEFAULT-VALUE}).")
    double budget;

    @Option(names = "--out", defaultValue = "bench.json", paramLabel = "FILE", description = "Results as JSON (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--peak-gflops", paramLabel = "GFLOPS", description = "FP32 FMA peak of these threads, to quote prefill as a share of it (scripts/peak/run.sh).")
    Double peakGflops;

    @Option(names = "--bandwidth-gbs", paramLabel = "GBS", description = "Read bandwidth of these threads, to quote decode as a share of its bound.")
    Double bandwidthGbs;

    @Option(names = "--workloads", split = ",", paramLabel = "NAMES",
            defaultValue = "prefill128,prefill512,prefill8x256,decode,eval,train,pruned,analyse,gguf",
            description = "Workloads to run: prefill128 (1 x 128 prompt), prefill512 (1 x 512 prompt), prefill8x256 (8 x 256 batch), "
                    + "decode (16 steps), eval (16 MMLU-like log-likelihood requests: 4 contexts of 200-400 tokens x 4 one-token answers; "
                    + "requests/s), train (LoRA training steps on 1 x 128 tokens; PyTorch float32 only), pruned (prefill128 and decode "
                    + "with 25%% and 50%% of the layers removed; Shallow only), analyse (4 x 256 calibration tokens through the analysis "
                    + "pass vs a plain forward; Shallow only), sliding (opt-in, about a minute on 2 threads: prompts of 2, 4 and 8 x W = 1024 tokens "
                    + "through a 2-layer Mistral-shaped random checkpoint of its own, written to bench-cache/ and not --model, with a sliding "
                    + "window and with full attention; Shallow only), gguf (the checkpoint written as GGUF at each --gguf-dtypes type, cached in "
                    + "bench-cache/, and prefill128 and decode on each file by Shallow and by llama.cpp, PyTorch's prefill128 and decode on the "
                    + "checkpoint beside; not with --gguf) (default: ${DEFAULT-VALUE}).")
    List<String> workloads;

    @Option(names = "--gguf-dtypes", split = ",", defaultValue = "f32,bf16,q8_0", paramLabel = "TYPES",
            description = "The types (f32, f16, bf16, q8_0) the gguf workload writes and runs (default: ${DEFAULT-VALUE}).")
    List<String> ggufDtypes;

    @Option(names = "--precision", split = ",", defaultValue = "f32,bf16", paramLabel = "P", converter = PrecisionOption.Precisions.class,
            description = "Shallow's precisions: f32 runs every workload; bf16 runs prefill, decode and eval again with --precision bf16, "
                    + "beside PyTorch's bfloat16 (default: ${DEFAULT-VALUE}).")
    List<MatmulPrecision> precisions;

    @Mixin
    MatmulChoiceOption matmul;
    @Option(names = "--gguf-remove-attention", paramLabel = "LAYERS", description = "With the gguf workload: also write each type's file with "
            + "these layers' attention removed (llama.cpp's deci, as 'prune --remove-attention' writes it) and run it beside the unpruned one.")
    String ggufRemoveAttention;

    @Option(names = "--gguf-remove-mlp", paramLabel = "LAYERS", description = "The same for MLP sub-blocks (with or without --gguf-remove-attention).")
    String ggufRemoveMlp;

    @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch (default: ${DEFAULT-VALUE}).")
    String python;

    @Override
    public Integer call() {
        if (threads < 1 || repeats < 1) throw new ShallowException("--threads and --repeats must be at least 1");
        OutputPolicy.checkFile(out, modelDir);
        if (gguf != null) OutputPolicy.checkFile(out, gguf);
        Parallel.setThreads(threads);
        Set<BenchPart> parts = BenchPart.parse(workloads);
        if (gguf != null && parts.remove(BenchPart.GGUF)) {
            System.err.println("bench: the gguf workload is skipped: --gguf FILE is measured instead");
        }
        List<GgmlType> ggufTypes = ggufDtypes.stream().map(GgufTensorTypes::parse).toList();
        Bench.Listener listener = (name, unit, m) -> System.err.printf("bench: Shallow %s: %.2f %s (best of %d)%n", name, m.perSecond(), unit,
                m.runs());
        Path dir = null;
        Workload workload = null;
        WeightCost cost = null;
        Map<BenchPart, Measurement> shallow = Map.of(), shallowBf16 = Map.of();
        List<PrunedSpeed> pruned = List.of();
        AnalysisOverhead analyse = null;
        String beyondLlama = null;
        if (parts.stream().anyMatch(BenchPart::usesBenchModel)) {
            dir = modelDir != null ? modelDir : gguf != null ? gguf : randomCheckpoint();
            try (Model model = Model.load(dir)) {
                beyondLlama = model.config().features().isEmpty() ? null : "the PyTorch baseline (scripts/bench_torch.py) runs the Llama layer "
                        + "only; this " + model.config().family() + " model has " + String.join(", ", model.config().features());
                workload = Workload.standard(model.config().vocabSize(), seed);
                cost = WeightCost.of(model);
                System.err.println("bench: Shallow on " + dir + " (" + threads + " threads)...");
                Bench bench = new Bench(new Transformer(model), repeats, budget, listener);
                shallow = bench.run(workload, parts);
                if (precisions.contains(MatmulPrecision.BF16)) {
                    Set<BenchPart> inBf16 = EnumSet.copyOf(parts);
                    inBf16.retainAll(BF16_PARTS);
                    Matmul.setPrecision(MatmulPrecision.BF16);
                    System.err.println("bench: Shallow with --precision bf16...");
                    shallowBf16 = bench.run(workload, inBf16);
                    Matmul.setPrecision(MatmulPrecision.F32);
                }
                if (parts.contains(BenchPart.PRUNED)) pruned = bench.pruned(workload);
                if (parts.contains(BenchPart.ANALYSE)) analyse = bench.analysisOverhead(workload.calibration(), AnalysisOptions.defaults());
            }
        }
        SlidingSpeed sliding = parts.contains(BenchPart.SLIDING) ? sliding(listener) : null;
        Long shallowPeakRss = PeakMemory.residentPeakBytes();
        GgufSpeed.Runs ggufRuns = parts.contains(BenchPart.GGUF) ? ggufRuns(dir, ggufTypes, workload) : null;
        List<String> torchWorkloads = new ArrayList<>();
        for (BenchPart p : parts) if (p.hasTorchBaseline()) torchWorkloads.add(p.rowName(workload));
        if (ggufRuns != null) {
            for (BenchPart p : GGUF_PARTS) if (!torchWorkloads.contains(p.rowName(workload))) torchWorkloads.add(p.rowName(workload));
        }
        TorchBaseline.Result torchResult = null;
        String torchSkipped = !torch ? "--no-torch" : torchWorkloads.isEmpty() ? "no workload PyTorch runs was selected"
                : modelDir == null && gguf != null ? "--gguf without --model (PyTorch runs on a Hugging Face directory)" : beyondLlama;
        if (torchSkipped == null) {
            TorchBaseline baseline = new TorchBaseline(python, Defaults.home().resolve("scripts").resolve("bench_torch.py"));
            torchSkipped = baseline.unavailableReason();
            if (torchSkipped == null) {
                System.err.println("bench: PyTorch float32 and bfloat16 on the same model...");
                torchResult = baseline.run(dir, workload, torchWorkloads, threads, repeats, budget);
            }
        }
        LlamaCppBaseline.Result llamaCppResult = null;
        Set<BenchPart> llamaCppParts = EnumSet.copyOf(LlamaCppBaseline.PARTS);
        llamaCppParts.retainAll(parts);
        String llamaCppSkipped = gguf == null ? (ggufRuns != null ? "on the checkpoint's GGUFs only (gguf table)" : "no GGUF of the model (--gguf FILE)") : !llamaCpp ? "--no-llamacpp"
                : llamaCppParts.isEmpty() ? "no workload llama.cpp runs (prefill128, prefill512, decode) was selected" : null;
        if (llamaCppSkipped == null) {
            LlamaCppBaseline baseline = new LlamaCppBaseline(LlamaCppProcess.script(Defaults.home()));
            llamaCppSkipped = baseline.unavailableReason();
            if (llamaCppSkipped == null) {
                System.err.println("bench: llama.cpp on " + gguf + " (" + threads + " threads)...");
                llamaCppResult = baseline.run(gguf, workload, llamaCppParts, threads, repeats, budget);
                llamaCppResult.byWorkload().forEach((name, m) -> System.err.printf("bench: llama.cpp %s: %.2f tok/s (best of %d)%n", name,
                        m.perSecond(), m.runs()));
            }
        }
        BenchReport report = new BenchReport(dir == null ? null : dir.toString(), threads, cost, workload, shallow, shallowPeakRss, torchResult,
                torchSkipped, peakGflops, bandwidthGbs, pruned, analyse, sliding, llamaCppResult, llamaCppSkipped, ggufRuns, shallowBf16,
                Matmul.platform());
        System.out.print(report.table());
        AtomicFiles.writeJson(out, report.toJson());
        System.out.println("results written to " + out);
        return 0;
    }

    /** The workloads run again in bf16 (training has no PyTorch bfloat16 row to compare with). */
    private static final Set<BenchPart> BF16_PARTS = EnumSet.of(BenchPart.PREFILL, BenchPart.LONG_PREFILL, BenchPart.BATCH_PREFILL, BenchPart.DECODE,
            BenchPart.EVAL, BenchPart.TRAIN);

    /** The workloads the gguf part runs on each file. */
    private static final Set<BenchPart> GGUF_PARTS = EnumSet.of(BenchPart.PREFILL, BenchPart.DECODE);

    /**
     * The gguf workload: {@code hf} written as a GGUF of each type (bench-cache/NAME-TYPE.gguf, rewritten when older than a
     * file of {@code hf}), then Shallow's and llama.cpp's prefill and decode on each, in {@code --repeats} rounds that each run
     * every engine on every file once (after its warm-up) and keep the fastest: a change in the machine's speed during the
     * runs (neighbours on a shared host) then falls on every file and engine alike, not on whichever ran at the time. No
     * round starts once the rounds took --budget seconds per file and engine.
     */
    private GgufSpeed.Runs ggufRuns(Path hf, List<GgmlType> types, Workload w) {
        LlamaCppBaseline llama = new LlamaCppBaseline(LlamaCppProcess.script(Defaults.home()));
        String skipped = !llamaCpp ? "--no-llamacpp" : llama.unavailableReason();
        Removal sub = ggufRemoveAttention == null && ggufRemoveMlp == null ? null : subBlocks(hf);
        Map<String, Path> files = new LinkedHashMap<>();
        for (GgmlType type : types) {
            String name = type.name().toLowerCase(java.util.Locale.ROOT);
            GgufExporter.Options o = new GgufExporter.Options(type, false);
            files.put(name, cached(hf, name, "shallow convert --dtype " + name, f -> GgufExporter.write(hf, f, o, null, null)));
            if (sub != null) {
                String subName = name + "-sub";
                files.put(subName, cached(hf, subName + "-" + sub.describe().replaceAll("[^0-9a-zA-Z-]+", "_"), "prune, " + sub.describe()
                        + " removed, --format gguf", f -> GgufExporter.write(hf, f, o, sub.kept(), sub.absentAfter(), null)));
            }
        }
        Map<String, Map<BenchPart, Measurement>> shallowBest = new HashMap<>(), llamaBest = new HashMap<>();
        String version = null;
        // every file loaded once for all rounds: a GGUF's reordered q/k rows are scratch memory that only the GC frees, so a load
        // per round could hold one copy per round
        Map<String, Model> models = new HashMap<>();
        try (LlamaCppProcess process = skipped == null ? llama.start() : null) {
            for (var e : files.entrySet()) models.put(e.getKey(), Model.load(e.getValue()));
            long start = System.nanoTime();
            double roundsBudget = budget * files.size() * (process == null ? 1 : 2);
            for (int round = 1; round <= repeats && (round == 1 || (System.nanoTime() - start) / 1e9 < roundsBudget); round++) {
                for (var e : files.entrySet()) {
                    String name = e.getKey(), of = String.format("round %d of %d", round, repeats);
                    System.err.println("bench: Shallow on " + e.getValue() + " (" + threads + " threads, " + of + ")...");
                    Bench.Listener listener = (workload, unit, m) -> System.err.printf("bench: Shallow %s %s: %.2f %s (%s)%n", name, workload,
                            m.perSecond(), unit, of);
                    faster(shallowBest, name, new Bench(new Transformer(models.get(name)), 1, budget, listener).run(w, GGUF_PARTS));
                    if (process == null) continue;
                    System.err.println("bench: llama.cpp on " + e.getValue() + " (" + threads + " threads, " + of + ")...");
                    LlamaCppBaseline.Result r = llama.run(process, e.getValue(), w, GGUF_PARTS, threads, 1, budget);
                    version = String.format("llama.cpp: %s, %d threads, %s KV cache, flash attention %s.", r.version(), r.threads(), r.kvCacheType(),
                            r.flashAttention());
                    Map<BenchPart, Measurement> byPart = new EnumMap<>(BenchPart.class);
                    for (BenchPart part : GGUF_PARTS) byPart.put(part, r.byWorkload().get(part.rowName(w)));
                    byPart.forEach((part, m) -> System.err.printf("bench: llama.cpp %s %s: %.2f tok/s (%s)%n", name, part.rowName(w), m.perSecond(), of));
                    faster(llamaBest, name, byPart);
                }
            }
        } finally {
            for (Model m : models.values()) m.close();
        }
        List<GgufSpeed> speeds = new ArrayList<>();
        for (var e : files.entrySet()) {
            Map<BenchPart, Measurement> s = shallowBest.get(e.getKey()), l = llamaBest.getOrDefault(e.getKey(), Map.of());
            speeds.add(new GgufSpeed(e.getKey(), e.getValue().toString(), e.getValue().toFile().length(), s.get(BenchPart.PREFILL),
                    s.get(BenchPart.DECODE), l.get(BenchPart.PREFILL), l.get(BenchPart.DECODE)));
        }
        return new GgufSpeed.Runs(speeds, version, skipped, sub == null ? null : sub.describe());
    }

    /** Keeps in best[name] the faster of its measurement and round's for each part (their runs added). */
    private static void faster(Map<String, Map<BenchPart, Measurement>> best, String name, Map<BenchPart, Measurement> round) {
        Map<BenchPart, Measurement> b = best.computeIfAbsent(name, k -> new EnumMap<>(BenchPart.class));
        round.forEach((part, m) -> b.merge(part, m, Measurement::faster));
    }

    /** The sub-blocks --gguf-remove-attention / --gguf-remove-mlp name in checkpoint {@code hf} (a layer named in both removed whole). */
    private Removal subBlocks(Path hf) {
        int n = dev.shallow.model.ModelConfig.load(hf).numLayers();
        return Removal.of(n, new int[0], ggufRemoveAttention == null ? new int[0] : Layers.parse(ggufRemoveAttention, n),
                ggufRemoveMlp == null ? new int[0] : Layers.parse(ggufRemoveMlp, n), dev.shallow.model.AbsentSubBlocks.none(n));
    }

    /** bench-cache/NAME-KIND.gguf, written by {@code write} ({@code what} says how) unless newer than every file of {@code hf}. */
    private static Path cached(Path hf, String kind, String what, java.util.function.Consumer<Path> write) {
        Path file = Defaults.home().resolve("bench-cache").resolve(hf.getFileName() + "-" + kind + ".gguf");
        if (!newerThanAll(file, hf)) {
            try {
                Files.createDirectories(file.getParent());
            } catch (IOException e) {
                throw ShallowException.at(file.getParent(), "cannot create: " + e.getMessage());
            }
            System.err.println("bench: writing " + file + " (" + what + ")...");
            write.accept(file);
        }
        return file;
    }

    /** Whether {@code file} exists and was written after every file of directory {@code dir}. */
    private static boolean newerThanAll(Path file, Path dir) {
        if (!Files.isRegularFile(file)) return false;
        try (var s = Files.list(dir)) {
            long written = Files.getLastModifiedTime(file).toMillis();
            for (Path p : s.toList()) if (Files.getLastModifiedTime(p).toMillis() > written) return false;
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Path randomCheckpoint() {
        ModelShape s = ModelShape.known().stream().filter(k -> k.name().equals(shape)).findFirst().orElseThrow(() ->
                new ShallowException("unknown --shape '" + shape + "' (known: "
                        + String.join(", ", ModelShape.known().stream().map(ModelShape::name).toList()) + ")"));
        return randomCheckpoint(s, s.configJson());
    }

    /** The sliding benchmark on its own checkpoint, and a second directory over the same weights with full attention. */
    private SlidingSpeed sliding(Bench.Listener listener) {
        SlidingShape s = SlidingShape.BENCH;
        Path slidingDir = randomCheckpoint(s.shape(), s.configJson(true));
        Path fullDir = RandomCheckpoint.withConfig(slidingDir, cacheDir(s.shape().name() + "-full"), s.configJson(false));
        System.err.println("bench: Shallow on " + slidingDir + " and " + fullDir + " (" + threads + " threads)...");
        try (Model slidingModel = Model.load(slidingDir); Model fullModel = Model.load(fullDir)) {
            return new Bench(new Transformer(slidingModel), repeats, budget, listener).sliding(s, new Transformer(fullModel), seed);
        }
    }

    /** bench-cache/NAME-random (-seedN for another seed than 0) written once for {@code s} under {@code config}, then reused. */
    private Path randomCheckpoint(ModelShape s, JsonNode config) {
        Path dir = cacheDir(s.name());
        if (!RandomCheckpoint.matches(dir, s, config, seed)) {
            System.err.println("bench: writing random " + s.name() + " checkpoint (seed " + seed + ") to " + dir + "...");
        }
        return RandomCheckpoint.ensure(s, config, seed, dir, Defaults.model().resolve("tokenizer.json"));
    }

    private Path cacheDir(String name) {
        return Defaults.home().resolve("bench-cache").resolve(name + "-random" + (seed == 0 ? "" : "-seed" + seed));
    }
}
