package dev.shallow.eval;

import dev.shallow.analysis.Progress;
import dev.shallow.cluster.Cluster;
import dev.shallow.cluster.ClusterFunction;
import dev.shallow.cluster.ExecutorModels;
import dev.shallow.cluster.FileSources;
import dev.shallow.model.Model;
import dev.shallow.tensor.Matmul;
import dev.shallow.tensor.MatmulPrecision;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.MemoryBudget;
import dev.shallow.transformer.Transformer;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link TransformerLM} on a {@link Cluster}: each task's request list (MMLU: each subject's) is one cluster task,
 * answered whole by a TransformerLM on an executor, so its numbers are the local run's bit for bit. (Cutting one list
 * into shards would change which requests share a forward call, and float32 sums differ in their last bits with it.)
 */
public final class ClusterLM implements LanguageModel {
    private final Cluster cluster;
    private final Spec spec;

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

    public ClusterLM(Cluster cluster, Spec spec) {
        this.cluster = cluster;
        this.spec = spec;
    }

    /** Every list at once, one cluster task each; progress notes each list as it is answered. */
    @Override
    public List<List<Response>> runEach(List<List<Request>> lists, List<String> phases, Progress progress) {
        List<List<Response>> out = new ArrayList<>(Collections.nCopies(lists.size(), null));
        int[] done = {0};
        cluster.run(lists.stream().map(ArrayList::new).toList(), new Answer(spec), (i, responses) -> {
            out.set(i, responses);
            progress.note(phases.get(i) + " answered (" + ++done[0] + " of " + lists.size() + " tasks)");
            return true;
        });
        return out;
    }

    /** One request list, answered on an executor. */
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
