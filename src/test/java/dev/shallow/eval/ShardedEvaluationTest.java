package dev.shallow.eval;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.analysis.Progress;
import dev.shallow.cluster.ShuffledCluster;
import dev.shallow.eval.task.TaskRegistry;
import dev.shallow.model.Model;
import dev.shallow.tensor.Matmul;
import dev.shallow.tensor.MatmulPrecision;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.MemoryBudget;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each task's requests cut into shards, each shard's requests and responses sent through Java serialization and the
 * shards answered in shuffled order ({@link ShuffledCluster}): every response is the local run's, bit for bit, and so
 * are the scores and the results JSON, whatever the number of shards.
 */
class ShardedEvaluationTest {
    /**
     * LAMBADA (first 48 documents) on stories260K without layer 2, the case where sharding once changed a log-likelihood's
     * last bits (−34.206867 locally, −34.206855 in 8 shards, before every request was scored as alone), in 1, 2, 3, 8
     * and automatic shards (2 on {@link ShuffledCluster}'s 2 cores).
     */
    @Test
    void lambadaWithALayerRemovedGivesTheLocalBitsInAnyShards() {
        assertShardsGiveTheLocalRun("stories260K", new int[]{0, 1, 3, 4}, List.of("lambada_openai"), 48, 2);
    }

    /**
     * MMLU 5-shot, two subjects of 7 questions (automatic: one shard each on 2 cores), on tiny-qwen2-swa-random, whose 1024 positions hold the prompts whole, so
     * every request of a subject shares the 5-shot prefix (across the shard edges too: each shard computes it once).
     */
    @Test
    void mmluFiveShotGivesTheLocalBitsInAnyShards() {
        assertShardsGiveTheLocalRun("tiny-qwen2-swa-random", null, List.of("mmlu_abstract_algebra", "mmlu_world_religions"), 7, 2);
    }

    /** {@code automatic}: the Spark tasks of automatic sharding. */
    private static void assertShardsGiveTheLocalRun(String name, int[] kept, List<String> taskNames, int limit, int automatic) {
        TaskRegistry.Selection tasks = TaskRegistry.resolve(taskNames, new TaskOptions(Shared.root().resolve("data"), TaskOptions.DEFAULT_SHOTS, 1234), null, "text");
        Evaluator.Options options = new Evaluator.Options(limit, 1000);
        ObjectNode config = JsonNodeFactory.instance.objectNode().put("model", name);
        try (Model model = Model.load(Shared.model(name))) {
            int[] layers = kept != null ? kept : Transformer.without(model.config().numLayers(), new int[0]);
            HarnessEncoding encoding = HarnessEncoding.of(Tokenizer.load(Shared.model(name)), false, model.config().maxPositionEmbeddings());
            Evaluator.Results local = Evaluator.evaluate(new TransformerLM(new Transformer(model, layers), encoding, 2048, PrefixSharing.heapShare()),
                    tasks.tasks(), tasks.groups(), options, Progress.NONE);
            ClusterLM.Spec spec = ClusterLM.Spec.of(Shared.model(name), layers, false, 2048, PrefixSharing.heapShare(), MemoryBudget.DEFAULT);
            for (int shards : new int[]{1, 2, 3, 8, 0}) {
                String where = shards == 0 ? "automatic shards" : shards + " shards";
                ClusterLM.Sharding sharding = ClusterLM.Sharding.of(shards, model, spec);
                assertTrue(sharding.exact(), where);
                ShuffledCluster cluster = new ShuffledCluster(shards);
                long[] progress = new long[2];
                Evaluator.Results sharded = Evaluator.evaluate(new ClusterLM(cluster, spec, sharding), tasks.tasks(), tasks.groups(), options,
                        (phase, done, total) -> {
                            progress[0] = done;
                            progress[1] = total;
                        });
                assertEquals(shards == 0 ? automatic : shards * tasks.tasks().size(), cluster.tasks(), where + ": Spark tasks");
                assertEquals(progress[1], progress[0], where + ": the progress reaches every request");
                for (int t = 0; t < local.tasks().size(); t++) {
                    Evaluator.TaskResult want = local.tasks().get(t), got = sharded.tasks().get(t);
                    assertEquals(want.docs().size(), got.docs().size(), where);
                    // record equality compares each double with Double.compare: bit for bit
                    for (int d = 0; d < want.docs().size(); d++) assertEquals(want.docs().get(d).responses(), got.docs().get(d).responses(), where + ", document " + d);
                }
                assertEquals(ResultsJson.toJson(local, config, "test"), ResultsJson.toJson(sharded, config, "test"), where);
            }
        }
    }

    /** Automatic: lists in ranges of at most ⌈total / parallelism⌉ requests; a list with generation requests stays whole. */
    @Test
    void automaticShardsFollowTheParallelismAndGenerationStaysWhole() {
        Request ll = new Request.Loglikelihood("a", " b"), gen = new Request.Generate("a", List.of("."), 8);
        List<List<Request>> lists = List.of(nCopies(ll, 10), nCopies(ll, 3), nCopies(gen, 6));
        ClusterLM.Sharding auto = new ClusterLM.Sharding(0, true);
        // 19 requests on 4 cores: ranges of at most 5
        assertEquals(List.of(new ClusterLM.Shard(0, 0, 5), new ClusterLM.Shard(0, 5, 10), new ClusterLM.Shard(1, 0, 3), new ClusterLM.Shard(2, 0, 6)),
                auto.cut(lists, 4));
        assertEquals(List.of(new ClusterLM.Shard(0, 0, 3), new ClusterLM.Shard(0, 3, 6), new ClusterLM.Shard(0, 6, 10), new ClusterLM.Shard(1, 0, 1),
                new ClusterLM.Shard(1, 1, 2), new ClusterLM.Shard(1, 2, 3), new ClusterLM.Shard(2, 0, 6)), new ClusterLM.Sharding(3, true).cut(lists, 4));
        assertEquals(3, new ClusterLM.Sharding(3, false).cut(lists, 4).size(), "not exact: every list whole");
    }

    /** Where products may run on oneDNN (bf16 products of BF16 weights; --matmul onednn with F32 weights), more than one shard is refused. */
    @Test
    void shardsAreRefusedWhereProductsMayRunOnOneDnn() {
        try (Model bf16Weights = Model.load(Shared.model("tiny-qwen2-random")); Model f32Weights = Model.load(Shared.model("stories260K"))) {
            ClusterLM.Spec bf16 = spec(MatmulPrecision.BF16, Matmul.Choice.AUTO), onednn = spec(MatmulPrecision.F32, Matmul.Choice.ONEDNN);
            ShallowException e = assertThrows(ShallowException.class, () -> ClusterLM.Sharding.of(2, bf16Weights, bf16));
            assertTrue(e.getMessage().startsWith("--spark-shards 2: with --precision bf16 and --matmul auto"), e.getMessage());
            assertThrows(ShallowException.class, () -> ClusterLM.Sharding.of(8, f32Weights, onednn));
            assertEquals(new ClusterLM.Sharding(0, false), ClusterLM.Sharding.of(0, bf16Weights, bf16), "by default: whole tasks");
            assertTrue(ClusterLM.Sharding.of(2, f32Weights, bf16).exact(), "bf16 products of F32 weights stay on the Vector API");
            assertTrue(ClusterLM.Sharding.of(2, bf16Weights, spec(MatmulPrecision.BF16, Matmul.Choice.VECTOR)).exact());
        }
    }

    private static ClusterLM.Spec spec(MatmulPrecision precision, Matmul.Choice choice) {
        return new ClusterLM.Spec("m", List.of(0), false, 2048, PrefixSharing.OFF, MemoryBudget.DEFAULT, precision, choice);
    }

    private static List<Request> nCopies(Request r, int n) {
        return new ArrayList<>(java.util.Collections.nCopies(n, r));
    }
}
