package dev.shallow.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import dev.shallow.analysis.Progress;
import dev.shallow.generate.Generator;
import dev.shallow.generate.Sampler;
import dev.shallow.io.SafetensorsFile;
import dev.shallow.model.Model;
import dev.shallow.tensor.Tensor;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.MemoryBudget;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The harness's three request types on stories260K, against the float64 reference logits and direct computations. */
class TransformerLMTest {
    static Model model;
    static Tokenizer tokenizer;
    static Transformer tf;

    @BeforeAll
    static void load() {
        model = Model.load(Shared.model("stories260K"));
        tokenizer = Tokenizer.load(Shared.model("stories260K"));
        tf = new Transformer(model);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static TransformerLM lm(boolean bos, boolean share) {
        return new TransformerLM(tf, HarnessEncoding.of(tokenizer, bos, model.config().maxPositionEmbeddings()), 256, share ? PrefixSharing.heapShare() : PrefixSharing.OFF);
    }

    static List<Response> run(TransformerLM lm, Request... requests) {
        return lm.run(List.of(requests), Progress.NONE, "test");
    }

    /**
     * log P(continuation | context) of the three golden texts (BOS encoding, split after their first word group) equals
     * the sum of log-softmax of the float64 reference logits. Tolerance 1e-3 nats: logits agree within 1e-4
     * (GoldenForwardTest), so each token's log-probability within 2e-4, over at most 32 tokens.
     */
    @Test
    void loglikelihoodOfGoldenTextsMatchesReferenceLogits() throws IOException {
        JsonNode seqs = new ObjectMapper().readTree(Shared.golden("stories260K").resolve("inputs.json").toFile()).path("sequences");
        int vocab = model.config().vocabSize();
        TransformerLM lm = lm(true, true);
        try (SafetensorsFile ref = SafetensorsFile.open(Shared.golden("stories260K").resolve("reference.safetensors"))) {
            for (int s = 0; s < 3; s++) {
                String text = seqs.get(s).path("text").asText();
                int[] ids = new int[seqs.get(s).path("ids").size()];
                for (int i = 0; i < ids.length; i++) ids[i] = seqs.get(s).path("ids").get(i).asInt();
                int cut = text.indexOf(' ', text.indexOf(' ') + 1);
                String context = text.substring(0, cut), continuation = text.substring(cut);
                HarnessEncoding.Pair pair = lm.encoding().pair(context, continuation);
                int[] joined = Arrays.copyOf(pair.context(), pair.context().length + pair.continuation().length);
                System.arraycopy(pair.continuation(), 0, joined, pair.context().length, pair.continuation().length);
                assertArrayEquals(ids, joined, "context + continuation tokens are the golden ids of \"" + text + "\"");

                Tensor logits = ref.tensor("logits." + s);
                float[] refLogits = new float[ids.length * vocab];
                for (int i = 0; i < refLogits.length; i++) refLogits[i] = logits.get(i);
                double expected = 0;
                for (int t = pair.context().length; t < ids.length; t++) expected += LogProbs.logProb(refLogits, (t - 1) * vocab, vocab, ids[t]);
                Response.Loglikelihood got = (Response.Loglikelihood) run(lm, new Request.Loglikelihood(context, continuation)).getFirst();
                assertEquals(expected, got.logLikelihood(), 1e-3, text);
            }
        }
    }

    /** Harness split: a trailing space of the context moves to the continuation; without BOS the ids carry no special token. */
    @Test
    void trailingSpaceMovesToContinuation() {
        HarnessEncoding enc = lm(false, true).encoding();
        HarnessEncoding.Pair withSpace = enc.pair("Once upon a ", "time");
        HarnessEncoding.Pair moved = enc.pair("Once upon a", " time");
        assertArrayEquals(moved.context(), withSpace.context());
        assertArrayEquals(moved.continuation(), withSpace.continuation());
        assertArrayEquals(tokenizer.encode("Once upon a", false), moved.context());
        assertFalse(Arrays.stream(moved.context()).anyMatch(id -> id == tokenizer.bosId().getAsInt()));
        HarnessEncoding.Pair empty = enc.pair("", "Once upon a time");
        assertArrayEquals(new int[]{tokenizer.bosId().getAsInt()}, empty.context(), "an empty context is the prefix token");
    }

    /** Windows of get_rolling_token_windows (context_len 1) + make_disjoint_window, worked by hand for 10 tokens and max length 4. */
    @Test
    void rollingWindowsFollowTheHarness() {
        HarnessEncoding enc = new HarnessEncoding(tokenizer, false, 4, 1);
        String text = "Once upon a time, there was a cat";
        int[] t = tokenizer.encode(text, false);
        assertEquals(10, t.length, "the worked example needs 10 tokens");
        List<HarnessEncoding.Pair> w = enc.rollingWindows(text);
        assertEquals(3, w.size());
        assertArrayEquals(new int[]{1}, w.get(0).context());
        assertArrayEquals(Arrays.copyOfRange(t, 0, 4), w.get(0).continuation());
        assertArrayEquals(new int[]{t[3]}, w.get(1).context());
        assertArrayEquals(Arrays.copyOfRange(t, 4, 8), w.get(1).continuation());
        assertArrayEquals(new int[]{t[5], t[6], t[7]}, w.get(2).context(), "a short last window is filled to max length with earlier tokens");
        assertArrayEquals(new int[]{t[8], t[9]}, w.get(2).continuation());
    }

    /**
     * A continuation longer than the context (the harness stops with an assertion) is scored in pieces of max length
     * tokens, each conditioned on all the tokens before it; the pieces cover the continuation exactly once.
     */
    @Test
    void longContinuationIsScoredInPieces() {
        HarnessEncoding enc = new HarnessEncoding(tokenizer, false, 4, 1);
        String context = "Once upon a time,", continuation = " there was a cat";
        HarnessEncoding.Pair whole = enc.pair(context, continuation);
        assertEquals(5, whole.continuation().length, "the worked example needs 5 continuation tokens");
        List<HarnessEncoding.Pair> pieces = enc.pieces(context, continuation);
        assertEquals(2, pieces.size());
        int[] all = java.util.stream.IntStream.concat(Arrays.stream(whole.context()), Arrays.stream(whole.continuation())).toArray();
        int c = whole.context().length;
        assertArrayEquals(whole.context(), pieces.get(0).context());
        assertArrayEquals(Arrays.copyOfRange(all, c, c + 4), pieces.get(0).continuation());
        assertArrayEquals(Arrays.copyOf(all, c + 4), pieces.get(1).context());
        assertArrayEquals(Arrays.copyOfRange(all, c + 4, c + 5), pieces.get(1).continuation());
        TransformerLM small = new TransformerLM(tf, enc, 256, PrefixSharing.heapShare());
        Response.Loglikelihood r = (Response.Loglikelihood) run(small, new Request.Loglikelihood(context, continuation)).getFirst();
        assertTrue(r.logLikelihood() < 0 && Double.isFinite(r.logLikelihood()));
    }

    /** A text that fits one window: its rolling log-likelihood is the sum of log p(t_i | BOS, t_<i) from one plain forward pass. */
    @Test
    void rollingLoglikelihoodEqualsDirectComputation() {
        String text = "Tom and Sue went to the park. They played with a kite all day, and they were happy.";
        int[] ids = tokenizer.encode(text, false);
        int[] input = new int[ids.length];
        input[0] = tokenizer.bosId().getAsInt();
        System.arraycopy(ids, 0, input, 1, ids.length - 1);
        float[] logits = tf.forward(input, tf.newCache(input.length), true);
        double direct = 0;
        for (int i = 0; i < ids.length; i++) direct += LogProbs.logProb(logits, i * model.config().vocabSize(), model.config().vocabSize(), ids[i]);
        Response.Rolling r = (Response.Rolling) run(lm(false, true), new Request.Rolling(text)).getFirst();
        assertEquals(ids.length, r.tokens());
        assertEquals(direct, r.logLikelihood(), 1e-9 * Math.abs(direct), "same forward pass, same sum");
    }

    /** A long text spans several windows; every token is predicted exactly once, so the token count is the text's. */
    @Test
    void rollingCountsEveryTokenOnce() throws IOException {
        String text = String.join(" ", java.nio.file.Files.readAllLines(Shared.root().resolve("data/tinystories/tinystories_sample.txt")));
        int n = tokenizer.encode(text, false).length;
        assertTrue(n > 2 * model.config().maxPositionEmbeddings(), "the text needs more than two windows: " + n);
        Response.Rolling r = (Response.Rolling) run(lm(false, true), new Request.Rolling(text)).getFirst();
        assertEquals(n, r.tokens());
        assertTrue(r.logLikelihood() / n < -0.5 && r.logLikelihood() / n > -5, "plausible per-token log-likelihood " + r.logLikelihood() / n);
    }

    /**
     * Sharing the context's KV cache among choices changes nothing, bit for bit: every forward call has 4 or more tokens (a pass
     * of fewer starts earlier), and a GEMM row does not depend on the others.
     */
    @Test
    void sharedPrefixGivesTheSameScores() {
        String ctx = "Once upon a time, there was a little girl named Lily. She loved to play";
        Request[] choices = {new Request.Loglikelihood(ctx, " outside"), new Request.Loglikelihood(ctx, " with her dog"),
                new Request.Loglikelihood(ctx, " in the park."), new Request.Loglikelihood("Tom was sad.", " He cried.")};
        assertEquals(run(lm(false, false), choices), run(lm(false, true), choices));
    }

    /** The model's own greedy continuation is is_greedy and is what generation returns; another is not greedy. */
    @Test
    void greedyContinuationIsGreedyAndGenerated() {
        String prompt = "Once upon a time";
        int[] ids = tokenizer.encode(prompt, false);
        List<Integer> out = new ArrayList<>();
        new Generator(tf).generate(ids, 12, Sampler.greedy(), -1, out::add);
        String greedy = tokenizer.decode(out.stream().mapToInt(Integer::intValue).toArray(), true);
        TransformerLM lm = lm(false, true);
        List<Response> r = run(lm, new Request.Loglikelihood(prompt, greedy), new Request.Loglikelihood(prompt, " the dog barked"),
                new Request.Generate(prompt, List.of(), 12));
        assertTrue(((Response.Loglikelihood) r.get(0)).isGreedy(), "greedy continuation \"" + greedy + "\"");
        assertFalse(((Response.Loglikelihood) r.get(1)).isGreedy());
        assertEquals(greedy, ((Response.Generated) r.get(2)).text());
    }

    /** Generation stops at the first stop string and returns the text before it. */
    @Test
    void generationCutsAtStopString() {
        String prompt = "Once upon a time";
        String full = ((Response.Generated) run(lm(false, true), new Request.Generate(prompt, List.of(), 40)).getFirst()).text();
        int dot = full.indexOf('.');
        assertTrue(dot > 0, "the continuation has a sentence end: " + full);
        List<Response> r = run(lm(false, true), new Request.Generate(prompt, List.of("."), 40), new Request.Generate(prompt, List.of("zzz", "."), 40));
        assertEquals(full.substring(0, dot), ((Response.Generated) r.get(0)).text());
        assertEquals(full.substring(0, dot), ((Response.Generated) r.get(1)).text(), "batched with another request: same text");
    }

    /** A batch's numbers do not depend on which other requests share the forward calls' batch structure across runs. */
    @Test
    void sameRequestsSameNumbers() {
        Request[] reqs = {new Request.Loglikelihood("Lily wanted to", " play"), new Request.Rolling("The dog was happy."),
                new Request.Generate("Tom and Sue", List.of("."), 20)};
        assertEquals(run(lm(true, true), reqs), run(lm(true, true), reqs));
    }

    /**
     * Layer by layer (the schedule of a model over the memory budget: a 1-byte budget gives one chunk of requests at a
     * time, 1 MiB a few) the responses are the same, bit for bit: log-likelihoods with shared and unshared prefixes,
     * rolling windows (two documents, whose first windows share their one-token context) and generations.
     */
    @Test
    void layerByLayerGivesTheSameResponses() {
        List<Request> reqs = new ArrayList<>();
        String ctx = "Once upon a time, there was a little girl named Lily. She loved to play";
        for (String cont : new String[]{" outside", " with her dog", " in the park."}) reqs.add(new Request.Loglikelihood(ctx, cont));
        reqs.add(new Request.Loglikelihood("", "Tom was sad."));
        reqs.add(new Request.Rolling("The dog was happy. It ran to the park and played with a big red ball all day long."));
        reqs.add(new Request.Rolling("Lily had a cat."));
        reqs.add(new Request.Generate("Tom and Sue", List.of("."), 12));
        HarnessEncoding enc = HarnessEncoding.of(tokenizer, true, model.config().maxPositionEmbeddings());
        for (PrefixSharing sharing : new PrefixSharing[]{PrefixSharing.heapShare(), PrefixSharing.OFF}) {
            List<Response> inMemory = new TransformerLM(tf, enc, 64, sharing).run(reqs, Progress.NONE, "test");
            for (long budget : new long[]{1, 1 << 20}) {
                assertEquals(inMemory, new TransformerLM(tf, enc, 64, sharing, new MemoryBudget(budget)).run(reqs, Progress.NONE, "test"),
                        "budget " + budget + ", " + sharing);
            }
        }
    }
}
