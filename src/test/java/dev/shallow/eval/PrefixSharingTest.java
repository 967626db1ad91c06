package dev.shallow.eval;

import dev.shallow.Shared;
import dev.shallow.analysis.Progress;
import dev.shallow.eval.task.TaskRegistry;
import dev.shallow.model.Model;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.MemoryBudget;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests that share a token prefix (few-shot examples) read it once, within the cache bound, and every score is the
 * one the request gets alone, bit for bit (every forward call is a GEMM of 4 or more tokens, whose rows do not depend
 * on the batch), in memory and layer by layer.
 */
class PrefixSharingTest {
    /**
     * Hand-made requests on stories260K: four contexts start with a 40-token block of "shots" (two of them share 6
     * more tokens, one is the block and one token), one starts elsewhere; four continuations of 1-3 tokens each. The
     * model reads every distinct prefix of the contexts (less their last token) once, plus each continuation; with the
     * bound one byte short of both shared caches, the 6 nested tokens once per context that has them; one byte short of
     * the block's cache, each context once; without sharing, each pair's own tokens, and when each pair is a batch of
     * its own, its tails' pass (fewer than 4 tokens) is padded with 4 - length throwaway tokens. Every other segment and
     * pass has 4 or more tokens, so the counts are exact. The scores are the same bits whatever the sharing and batch, in memory and
     * layer by layer (1 byte: a batch at a time, shared caches kept across; 1 MiB: several batches a layer at a time).
     */
    @Test
    void eachDistinctPrefixIsReadOnce() {
        try (Model model = Model.load(Shared.model("stories260K"))) {
            Transformer tf = new Transformer(model);
            SplittableRandom rng = new SplittableRandom(19);
            int[] shots = ids(rng, 40), nested = ids(rng, 6);
            List<int[]> contexts = List.of(concat(shots, ids(rng, 11)), concat(shots, nested, ids(rng, 5)), ids(rng, 12),
                    concat(shots, nested, ids(rng, 5)), concat(shots, ids(rng, 1)), concat(shots, ids(rng, 9)));
            List<HarnessEncoding.Pair> pairs = new ArrayList<>();
            for (int[] c : contexts) for (int len : new int[]{1, 2, 3, 1}) pairs.add(new HarnessEncoding.Pair(c, ids(rng, len)));
            assertEquals(4, IntStream.of(0, 1, 4, 5).map(i -> contexts.get(i)[shots.length]).distinct().count(), "the contexts part after the shots");
            assertTrue(contexts.get(2)[0] != shots[0], "one context starts elsewhere");

            Set<List<Integer>> prefixes = new HashSet<>();
            long continuations = 0, eachContext = 0, eachPair = 0, padding = 0;
            for (int[] c : contexts) {
                for (int n = 1; n < c.length; n++) prefixes.add(Arrays.stream(c, 0, n).boxed().toList());
                eachContext += c.length - 1;
            }
            for (HarnessEncoding.Pair p : pairs) {
                continuations += p.continuation().length;
                eachPair += p.context().length - 1 + p.continuation().length;
                padding += Math.max(0, 4 - p.continuation().length);
            }
            HarnessEncoding enc = HarnessEncoding.of(Tokenizer.load(Shared.model("stories260K")), false, model.config().maxPositionEmbeddings());
            long block = tf.cacheBytes(shots.length), both = block + tf.cacheBytes(shots.length + nested.length);
            double[] alone = new TransformerLM(tf, enc, 4096, PrefixSharing.OFF).logLikelihoods(pairs);
            for (int batchTokens : new int[]{1, 24, 4096}) {
                String batch = "batch " + batchTokens;
                ScoringPlan all = new TransformerLM(tf, enc, batchTokens, PrefixSharing.upTo(both)).plan(pairs);
                ScoringPlan notNested = new TransformerLM(tf, enc, batchTokens, PrefixSharing.upTo(both - 1)).plan(pairs);
                assertEquals(prefixes.size() + continuations, all.tokens(), batch);
                assertFalse(all.overBound, batch);
                assertEquals(prefixes.size() + nested.length + continuations, notNested.tokens(), batch);
                assertTrue(notNested.overBound, batch);
                assertEquals(eachContext + continuations, new TransformerLM(tf, enc, batchTokens, PrefixSharing.upTo(block - 1)).plan(pairs).tokens(), batch);
                assertEquals(eachPair + (batchTokens < 26 ? padding : 0), new TransformerLM(tf, enc, batchTokens, PrefixSharing.OFF).plan(pairs).tokens(), batch);
                for (PrefixSharing s : new PrefixSharing[]{PrefixSharing.upTo(both), PrefixSharing.upTo(both - 1), PrefixSharing.upTo(0), PrefixSharing.OFF}) {
                    MemoryBudget[] budgets = batchTokens == 24 ? new MemoryBudget[]{MemoryBudget.DEFAULT, new MemoryBudget(1), new MemoryBudget(1 << 20)}
                            : new MemoryBudget[]{MemoryBudget.DEFAULT};
                    for (MemoryBudget budget : budgets) {
                        assertArrayEquals(alone, new TransformerLM(tf, enc, batchTokens, s, budget).logLikelihoods(pairs), batch + ", " + s + ", budget " + budget);
                    }
                }
            }
        }
    }

    /**
     * MMLU 5-shot, the first 6 abstract algebra questions (prompts untruncated in the 1024 positions of
     * tiny-qwen2-swa-random, whose layers 6-9 keep a sliding window of 8 keys in a ring cache): sharing on, bounded
     * to 1 KiB (less than any prefix's cache) and bounded to nothing give the responses of every request alone, bit for
     * bit, in memory and layer by layer, in small and large batches; and alone is a plain forward pass over context and
     * continuation (the first question's four, the same bits: every pass has 4 or more tokens). Tokens read (progress): each context once when
     * only the choices share; with sharing, every distinct prefix once, and fewer than one more reading of the shots
     * (the common prefix of all contexts) on top, to which a short pass's padding may add a few tokens. HellaSwag's first 8
     * questions, whose contexts share only a token or two (a shared prefix of one token at position 0 is a pass of one
     * token, padded), get their scores alone too.
     */
    @Test
    void fewShotRequestsGetTheirScoresAlone() {
        try (Model model = Model.load(Shared.model("tiny-qwen2-swa-random"))) {
            Transformer tf = new Transformer(model);
            HarnessEncoding enc = HarnessEncoding.of(Tokenizer.load(Shared.model("tiny-qwen2-swa-random")), false, model.config().maxPositionEmbeddings());
            List<Request> requests = requests("mmlu_abstract_algebra", 6);

            Set<List<Integer>> prefixes = new HashSet<>(), contexts = new HashSet<>();
            long continuations = 0, eachContext = 0;
            int shots = Integer.MAX_VALUE;
            int[] first = null;
            for (Request r : requests) {
                HarnessEncoding.Pair p = enc.pair(((Request.Loglikelihood) r).context(), ((Request.Loglikelihood) r).continuation());
                int[] c = p.context();
                assertTrue(c.length + p.continuation().length <= enc.maxLength() + 1, "the prompt fits the context untruncated: " + c.length);
                if (contexts.add(Arrays.stream(c).boxed().toList())) eachContext += c.length - 1;
                for (int n = 1; n < c.length; n++) prefixes.add(Arrays.stream(c, 0, n).boxed().toList());
                continuations += p.continuation().length;
                first = first == null ? c : first;
                int m = Arrays.mismatch(first, c);
                shots = Math.min(shots, m < 0 ? c.length : m);
            }
            assertTrue(shots > 500, "the shots are the common prefix: " + shots + " tokens");

            List<Response> alone = new TransformerLM(tf, enc, 2048, PrefixSharing.OFF).run(requests, Progress.NONE, "test");
            int vocab = model.config().vocabSize();
            for (int r = 0; r < 4; r++) { // the first question's choices: one plain forward pass over context + continuation
                Request.Loglikelihood ll = (Request.Loglikelihood) requests.get(r);
                HarnessEncoding.Pair p = enc.pair(ll.context(), ll.continuation());
                int[] ids = concat(p.context(), Arrays.copyOf(p.continuation(), p.continuation().length - 1));
                float[] logits = tf.forward(ids, tf.newCache(ids.length), true);
                double direct = 0;
                for (int j = 0; j < p.continuation().length; j++) {
                    direct += LogProbs.logProb(logits, (p.context().length - 1 + j) * vocab, vocab, p.continuation()[j]);
                }
                assertEquals(direct, ((Response.Loglikelihood) alone.get(r)).logLikelihood(), 0, "request " + r + " is its plain forward pass");
            }
            for (int batchTokens : new int[]{64, 2048}) {
                for (PrefixSharing s : new PrefixSharing[]{PrefixSharing.heapShare(), PrefixSharing.upTo(1024), PrefixSharing.upTo(0)}) {
                    for (MemoryBudget budget : new MemoryBudget[]{MemoryBudget.DEFAULT, new MemoryBudget(1), new MemoryBudget(1 << 20)}) {
                        long[] read = new long[2];
                        List<Response> got = new TransformerLM(tf, enc, batchTokens, s, budget).run(requests, (phase, done, total) -> {
                            read[0] = done;
                            read[1] = total;
                        }, "test");
                        String what = "batch " + batchTokens + ", " + s + ", budget " + budget;
                        assertEquals(alone, got, what);
                        assertEquals(read[1], read[0], "progress reaches its total: " + what);
                        if (s.cacheBytes() < tf.cacheBytes(1)) {
                            assertEquals(eachContext + continuations, read[1], what);
                        } else {
                            assertTrue(read[1] >= prefixes.size() + continuations && read[1] < prefixes.size() + continuations + shots, what + ": " + read[1]);
                        }
                    }
                }
            }
            List<Request> zeroShot = requests("hellaswag", 8);
            assertEquals(new TransformerLM(tf, enc, 2048, PrefixSharing.OFF).run(zeroShot, Progress.NONE, "test"),
                    new TransformerLM(tf, enc, 2048, PrefixSharing.heapShare()).run(zeroShot, Progress.NONE, "test"));
        }
    }

    /** The requests of a task's first {@code docs} documents, from the full data, with the task's default shots. */
    private static List<Request> requests(String name, int docs) {
        Task task = TaskRegistry.resolve(List.of(name), new TaskOptions(Shared.root().resolve("data"), TaskOptions.DEFAULT_SHOTS, 1234), null, "text")
                .tasks().getFirst();
        List<Request> requests = new ArrayList<>();
        for (int d = 0; d < docs; d++) requests.addAll(task.requests(d));
        return requests;
    }

        private static int[] ids(SplittableRandom rng, int n) {
        return IntStream.range(0, n).map(i -> rng.nextInt(3, 512)).toArray();
    }

    private static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }
}
