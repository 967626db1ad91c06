package dev.shallow.eval;

import dev.shallow.ShallowException;
import dev.shallow.analysis.Progress;
import dev.shallow.cluster.Cluster;
import dev.shallow.cluster.ClusterFunction;
import dev.shallow.cluster.ExecutorModels;
import dev.shallow.cluster.FileSources;
import dev.shallow.model.Model;
import dev.shallow.tensor.Matmul;
import dev.shallow.tensor.MatmulPrecision;
import dev.shallow.tensor.Tensor;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.MemoryBudget;
import dev.shallow.transformer.Transformer;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link TransformerLM} on a {@link Cluster}: each task's request list (MMLU: each subject's) is cut into shards,
 * contiguous ranges of its requests, each one cluster task answered by a TransformerLM on an executor; the driver puts
 * the responses back in request order. Every log-likelihood is the one its request gets scored alone, bit for bit (the
 * Vector API GEMM gives a token's row the same bits in any batch, and {@link ScoringPlan} pads shorter passes), so any
 * cut gives the local run's numbers; each shard recomputes the prefixes its requests share. Lists with generation requests
 * stay whole (a decode step of fewer than 4 sequences runs the GEMV, so a generation's bits depend on its batch), and so
 * does every list when some product may run on oneDNN ({@link Sharding}).
 */
public final class ClusterLM implements LanguageModel {
    private final Cluster cluster;
    private final Spec spec;
    private final Sharding sharding;

    /**
     * What each executor builds its {@link TransformerLM} from (the model opened once per executor JVM).
     *
     * @param model the model's absolute path, seen by every executor, or the URI it was fetched from ({@link FileSources})
     * @param kept  the layers that run
     */
    public record Spec(String model, List<Integer> kept, boolean addBos, int batchTokens, PrefixSharing sharing, MemoryBudget memory,
                       MatmulPrecision precision, Matmul.Choice choice) implements Serializable {
        public Spec {
            kept = List.copyOf(kept);
        }

        /** The spec of {@code model} run with {@code layers}, in this JVM's matmul precision and backend choice. */
        public static Spec of(Path model, int[] layers, boolean addBos, int batchTokens, PrefixSharing sharing, MemoryBudget memory) {
            return new Spec(FileSources.shipped(model), Arrays.stream(layers).boxed().toList(), addBos, batchTokens, sharing, memory,
                    Matmul.precision(), Matmul.choice());
        }
    }

    /**
     * How many shards each task's request list is cut into: {@code perTask} (at most one per request), or when 0 as many as
     * the cluster's parallelism needs (each list in ranges of at most ⌈total requests / parallelism⌉ requests); when not
     * {@code exact} (some product may run on oneDNN), every list is one shard.
     */
    public record Sharding(int perTask, boolean exact) {
        public Sharding {
            if (perTask < 0) throw new IllegalArgumentException("shards per task must be at least 0 (automatic), got " + perTask);
        }

        /**
         * The sharding of {@code --spark-shards perTask} (0 when not given) for {@code model} run in {@code spec}'s precision
         * and backend choice: exact unless a product of its weights may run on oneDNN; then more than one shard is refused.
         */
        public static Sharding of(int perTask, Model model, Spec spec) {
            List<Tensor> weights = new ArrayList<>();
            if (model.lmHead() != null) weights.add(model.lmHead());
            for (int l = 0; l < model.config().numLayers(); l++) weights.addAll(model.layer(l).matrices());
            boolean exact = weights.stream().noneMatch(w -> Matmul.mayRunOnOneDnn(w, spec.precision(), spec.choice()));
            if (!exact && perTask > 1) {
                throw new ShallowException("--spark-shards " + perTask + ": with --precision " + spec.precision().label() + " and --matmul "
                        + spec.choice().name().toLowerCase(Locale.ROOT) + " products may run on oneDNN, which does not give a request the "
                        + "same bits in another shard; give --spark-shards 1 or --matmul vector");
            }
            return new Sharding(perTask, exact);
        }

        /** The shards of each list, list after list. */
        List<Shard> cut(List<List<Request>> lists, int parallelism) {
            long total = lists.stream().mapToLong(List::size).sum(), most = Math.max(1, ceil(total, Math.max(1, parallelism)));
            List<Shard> out = new ArrayList<>();
            for (int i = 0; i < lists.size(); i++) {
                List<Request> list = lists.get(i);
                boolean whole = !exact || list.stream().anyMatch(r -> r instanceof Request.Generate);
                long n = Math.max(1, Math.min(whole ? 1 : perTask > 0 ? perTask : ceil(list.size(), most), list.size()));
                for (long k = 0; k < n; k++) out.add(new Shard(i, (int) (list.size() * k / n), (int) (list.size() * (k + 1) / n)));
            }
            return out;
        }

        private static long ceil(long a, long b) {
            return (a + b - 1) / b;
        }
    }

    /** Requests [from, to) of list {@code list}. */
    record Shard(int list, int from, int to) {
    }

    public ClusterLM(Cluster cluster, Spec spec, Sharding sharding) {
        this.cluster = cluster;
        this.spec = spec;
        this.sharding = sharding;
    }

    /**
     * Every list's shards at once, one cluster task each, the responses put back in request order; progress counts the
     * requests answered, and notes each list once all its shards are in.
     */
    @Override
    public List<List<Response>> runEach(List<List<Request>> lists, List<String> phases, Progress progress) {
        List<Shard> shards = sharding.cut(lists, cluster.parallelism());
        List<Response[]> out = lists.stream().map(l -> new Response[l.size()]).toList();
        int[] left = new int[lists.size()];
        for (Shard s : shards) left[s.list()]++;
        long total = lists.stream().mapToLong(List::size).sum();
        long[] done = {0};
        int[] listsDone = {0};
        progress.update("eval", 0, total, "requests");
        cluster.run(shards.stream().map(s -> new ArrayList<>(lists.get(s.list()).subList(s.from(), s.to()))).toList(), new Answer(spec), (k, responses) -> {
            Shard s = shards.get(k);
            if (responses.size() != s.to() - s.from()) throw new IllegalStateException("a shard of " + (s.to() - s.from()) + " requests got " + responses.size() + " responses");
            for (int r = 0; r < responses.size(); r++) out.get(s.list())[s.from() + r] = responses.get(r);
            done[0] += responses.size();
            progress.update("eval", done[0], total, "requests");
            if (--left[s.list()] == 0) progress.note(phases.get(s.list()) + " answered (" + ++listsDone[0] + " of " + lists.size() + " tasks)");
            return true;
        });
        return out.stream().map(List::of).toList();
    }

    /** One shard's requests, answered on an executor. */
    private record Answer(Spec spec) implements ClusterFunction<ArrayList<Request>, ArrayList<Response>> {
        /** This JVM's encodings (a tokenizer is read once per executor). */
        private static final Map<Spec, HarnessEncoding> ENCODINGS = new ConcurrentHashMap<>();

        @Override
        public ArrayList<Response> apply(ArrayList<Request> requests) {
            Matmul.setPrecision(spec.precision());
            Matmul.setChoice(spec.choice());
            Model model = ExecutorModels.get(spec.model());
            HarnessEncoding encoding = ENCODINGS.computeIfAbsent(spec,
                    s -> HarnessEncoding.of(Tokenizer.load(model.dir()), s.addBos(), model.config().maxPositionEmbeddings()));
            Transformer tf = new Transformer(model, spec.kept().stream().mapToInt(Integer::intValue).toArray());
            return new ArrayList<>(new TransformerLM(tf, encoding, spec.batchTokens(), spec.sharing(), spec.memory()).run(requests, Progress.NONE, ""));
        }
    }
}
