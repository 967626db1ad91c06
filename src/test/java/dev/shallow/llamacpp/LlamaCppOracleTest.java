package dev.shallow.llamacpp;

import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.eval.LogProbs;
import dev.shallow.generate.Generator;
import dev.shallow.generate.Sampler;
import dev.shallow.io.Checkpoint;
import dev.shallow.io.HfToGguf;
import dev.shallow.io.SafetensorsWriter;
import dev.shallow.model.Model;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Tensor;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.KVCache;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shallow against llama.cpp (node-llama-cpp's prebuilt CPU build, through {@link LlamaCpp}) on the same GGUF files: the real
 * stories260K.gguf (llama.cpp's CI model, ../shared/real/stories260K-gguf) and GGUFs written as convert_hf_to_gguf.py writes
 * them ({@link HfToGguf}) for a trained 16-layer Llama and the tiny random qwen2, qwen3 and smollm3 checkpoints.
 *
 * <p>Checked: tokenization ids (stories260K's SentencePiece vocabulary, with and without BOS; control tokens written in the text
 * such as {@code <s>} are text to both, as llama_tokenize with parse_special false); the greedy continuation of
 * "Once upon a time" (32 tokens); and the log-probability of every vocabulary entry as the next token at every position of a
 * story and of the greedy continuation, within {@link #LOGPROB_TOL}. Both engines compute in float32 (llama.cpp: F32 KV cache,
 * no flash attention, 1 thread); their logits differ by the order of float32 sums, about 1e-5 of their size, so 1e-3 leaves room while
 * any wrong convention (RoPE layout, norm epsilon, a missing bias or norm, a tied head) moves log-probabilities by far more.
 * llama.cpp returns float32 probabilities; below float32's smallest normal number (log p < -87.3) they are imprecise or 0, and
 * there it is only checked that Shallow's log-probability is that small too. Greedy tokens are compared only while Shallow's
 * margin between its two largest logits exceeds 2 x {@link #LOGPROB_TOL}: a nearer tie (random weights make them) may go
 * either way in float32, and after it the continuations legitimately differ.
 */
class LlamaCppOracleTest extends LlamaCppTests {
    static final double LOGPROB_TOL = 1e-3;
    /**
     * Log-probability tolerance of llama.cpp against Shallow on the same Q8_0 file ({@link #shallowsQ8_0GgufMatches}):
     * measured 0.110 (stories-16L) and 0.156 (tiny-qwen3-random), from llama.cpp's Q8_0 activations.
     */
    static final double Q8_0_LOGPROB_TOL = 0.3;
    static final Path STORIES_GGUF = Shared.root().resolve("real/stories260K-gguf/stories260K.gguf");
    static final String PROMPT = "Once upon a time";
    static final int GREEDY_TOKENS = 32;
    /** The start of the first held-out story (data/stories260K-heldout-16.jsonl). */
    static final String STORY = "Once upon a time, there was a little girl named Lily. She loved to play outside with her friends and Jack.";

    @Test
    void tokenizationOfStories260KMatches() {
        List<String> texts = List.of(PROMPT, STORY, "  two leading spaces and a trailing one ", "Hello\nworld\n\n\"quoted\" (and) 12345, 3.14!",
                "naïve café ☃ 😀 東京", "<s>Once upon</s> a time", "");
        Tokenizer tok = Tokenizer.load(STORIES_GGUF);
        LlamaCpp.Request r = llama.on(STORIES_GGUF);
        for (String text : texts) r.tokenize(text, false, false).tokenize(text, false, true);
        LlamaCpp.Answer a = llama.run(r);
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            assertArrayEquals(tok.encode(text, false), a.tokenize(2 * i), "no BOS: " + text);
            assertArrayEquals(tok.encode(text, true), a.tokenize(2 * i + 1), "BOS: " + text);
        }
    }

    /** A request llama.cpp refuses fails with its reason, and the process goes on answering. */
    @Test
    void refusedRequestsFailAndTheProcessGoesOn() {
        ShallowException missing = assertThrows(ShallowException.class, () -> llama.run(llama.on(tmp.resolve("missing.gguf")).tokenize("x", false, false)));
        assertTrue(missing.getMessage().startsWith("llama.cpp: ") && missing.getMessage().contains("missing.gguf"), missing.getMessage());
        ShallowException tooLong = assertThrows(ShallowException.class, () -> llama.run(llama.on(STORIES_GGUF).logprobs(new int[600])));
        assertTrue(tooLong.getMessage().contains("600 tokens do not fit the context of 512"), tooLong.getMessage());
        assertArrayEquals(new int[]{1}, llama.run(llama.on(STORIES_GGUF).tokenize("", false, true)).tokenize(0));
    }

    /** The real GGUF: every greedy step is compared (no near tie) and the continuation is the whole of llama.cpp's. */
    @Test
    void stories260KMatches() {
        Agreement a = compare(STORIES_GGUF, STORIES_GGUF);
        assertEquals(GREEDY_TOKENS, a.greedySteps(), "greedy steps compared");
    }

    /**
     * The GGUF convert_hf_to_gguf.py writes (BF16 matrices for a bfloat16 checkpoint) through Shallow, against llama.cpp on a GGUF
     * of the same weights widened to float32 (exactly). Not llama.cpp on the BF16 file: its CPU backend multiplies a BF16 matrix by
     * the activations rounded to bfloat16 (ggml-cpu type_traits_cpu[GGML_TYPE_BF16].vec_dot_type is GGML_TYPE_BF16), which
     * moves these random models' log-probabilities by up to a few 1e-2 (measured: 0.020 qwen2, 0.044 qwen3) where Shallow
     * keeps float32 activations.
     */
    @ParameterizedTest
    @CsvSource({"stories-16L, llama", "tiny-qwen2-random, qwen2", "tiny-qwen3-random, qwen3", "tiny-smollm3-random, smollm3"})
    void convertedCheckpointMatches(String model, String arch) {
        Path hf = Shared.model(model);
        Path gguf = HfToGguf.convert(hf, arch, STORIES_GGUF, tmp.resolve(model + ".gguf"));
        Path float32 = allFloat32(hf) ? gguf : HfToGguf.convert(float32Copy(hf, tmp.resolve(model + "-f32")), arch, STORIES_GGUF, tmp.resolve(model + "-f32.gguf"));
        Agreement a = compare(gguf, float32);
        if (model.equals("stories-16L")) assertEquals(GREEDY_TOKENS, a.greedySteps(), "a trained model has no near tie");
    }

    /**
     * llama.cpp loads Shallow's Q8_0 GGUF (GgufExporter, --dtype q8_0) and agrees with Shallow on that same file within
     * {@link #Q8_0_LOGPROB_TOL}: its CPU backend multiplies a Q8_0 matrix by the activations quantized to Q8_0 themselves
     * (ggml-cpu type_traits_cpu[GGML_TYPE_Q8_0].vec_dot_type is GGML_TYPE_Q8_0), where Shallow keeps float32 activations.
     */
    @ParameterizedTest
    @CsvSource({"stories-16L", "tiny-qwen3-random"})
    void shallowsQ8_0GgufMatches(String model) {
        Path gguf = tmp.resolve(model + "-q8_0.gguf");
        dev.shallow.convert.GgufExporter.write(Shared.model(model), gguf, new dev.shallow.convert.GgufExporter.Options(dev.shallow.io.GgmlType.Q8_0, false), null, null);
        Agreement a = compare(gguf, gguf, Q8_0_LOGPROB_TOL);
        assertTrue(a.maxLogprobDiff() > LOGPROB_TOL, "activation quantization shows (" + a.maxLogprobDiff() + ")");
        if (model.equals("stories-16L")) assertTrue(a.greedySteps() > 0, "greedy steps compared");
    }

    static boolean allFloat32(Path hf) {
        try (Checkpoint ck = Checkpoint.open(hf)) {
            return ck.names().stream().allMatch(n -> ck.tensor(n).dtype() == DType.F32);
        }
    }

    /** {@code hf}'s config, tokenizer and weights with every tensor widened to float32 (exact), as one model.safetensors in {@code dir}. */
    static Path float32Copy(Path hf, Path dir) {
        try (Checkpoint ck = Checkpoint.open(hf)) {
            Files.createDirectories(dir);
            for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json")) {
                if (Files.exists(hf.resolve(f))) Files.copy(hf.resolve(f), dir.resolve(f));
            }
            Map<String, Tensor> tensors = new TreeMap<>();
            for (String name : ck.names()) {
                Tensor t = ck.tensor(name);
                float[] x = new float[Math.toIntExact(t.size())];
                for (int i = 0; i < x.length; i++) x[i] = t.get(i);
                tensors.put(name, Tensor.ofFloats(x, t.shape()));
            }
            SafetensorsWriter.write(dir.resolve(Checkpoint.SINGLE), tensors, SafetensorsWriter.PT_METADATA);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How far the two engines agreed on one GGUF: greedy steps compared, largest |log p difference|. */
    record Agreement(int greedySteps, double maxLogprobDiff) {
    }

    /**
     * Greedy continuation of {@link #PROMPT} and log-probabilities on {@link #STORY} and on that continuation, Shallow on
     * {@code gguf} against llama.cpp on {@code llamaGguf} (the same file, or the same weights in float32).
     */
    static Agreement compare(Path gguf, Path llamaGguf) {
        return compare(gguf, llamaGguf, LOGPROB_TOL);
    }

    /** {@link #compare(Path, Path)} with log-probabilities within {@code tol}, greedy tokens compared while margins exceed 2 x tol. */
    static Agreement compare(Path gguf, Path llamaGguf, double tol) {
        try (Model model = Model.load(gguf)) {
            Transformer tf = new Transformer(model);
            Oracle o = ask(llama, tf, Tokenizer.load(gguf), llamaGguf, Integer.MAX_VALUE);
            return o.agree(tf, gguf.getFileName().toString(), tol);
        }
    }

    /**
     * llama.cpp's ({@code llama}'s) answer on {@code llamaGguf} for Shallow's run {@code tf}: the greedy continuation of {@link #PROMPT} (Shallow's
     * tokens), and the next-token distributions along {@link #STORY} and along prompt + Shallow's continuation, each sequence cut
     * to {@code maxTokens} (a sliding window llama.cpp ignores is only compared within it).
     */
    static Oracle ask(LlamaCpp llama, Transformer tf, Tokenizer tok, Path llamaGguf, int maxTokens) {
        int[] prompt = tok.encode(PROMPT, true), story = tok.encode(STORY, true);
        story = Arrays.copyOf(story, Math.min(story.length, maxTokens));
        int greedy = Math.min(GREEDY_TOKENS, maxTokens - prompt.length);
        int[] continuation = new Generator(tf).generate(prompt, greedy, Sampler.greedy(), -1, t -> { }).tokens();
        int[] both = IntStream.concat(Arrays.stream(prompt), Arrays.stream(continuation)).toArray();
        LlamaCpp.Answer a = llama.run(llama.on(llamaGguf).generate(prompt, greedy).logprobs(story).logprobs(both));
        assertEquals(continuation.length, a.generate(0).length, "llama.cpp's continuation length");
        return new Oracle(prompt, continuation, story, both, a);
    }

    /** Shallow's sequences and llama.cpp's answer on them ({@link #ask}). */
    record Oracle(int[] prompt, int[] continuation, int[] story, int[] both, LlamaCpp.Answer answer) {
        /**
         * Shallow's run {@code tf} (the one asked about, or another computing the same model) against llama.cpp: greedy tokens while
         * Shallow's top-2 margin exceeds 2 x {@code tol}, every log-probability within {@code tol}.
         */
        Agreement agree(Transformer tf, String what, double tol) {
            int vocab = tf.model().config().vocabSize();
            float[] logits = tf.forward(new int[][]{both}, new KVCache[]{tf.newCache(both.length)}, true, null);
            int steps = 0;
            for (int i = 0; i < continuation.length; i++) {
                double margin = margin(logits, (prompt.length - 1 + i) * vocab, vocab);
                if (margin <= 2 * tol) break;
                assertEquals(Sampler.argmax(logits, (prompt.length - 1 + i) * vocab, vocab), answer.generate(0)[i],
                        what + ": greedy token " + i + " (Shallow's margin " + margin + ")");
                steps++;
            }
            double diff = Math.max(logprobsAgree(tf, story, answer.logprobs(0), answer.greedy(0), what + " story", tol),
                    logprobsAgree(tf, both, answer.logprobs(1), answer.greedy(1), what + " continuation", tol));
            System.out.printf("llama.cpp oracle (%s): %s: greedy steps compared %d/%d, max |d log p| %.3g%n", answer.version(), what,
                    steps, continuation.length, diff);
            return new Agreement(steps, diff);
        }
    }

    /** Every position's every log-probability within {@code tol} (as the class comment says); returns the largest difference. */
    static double logprobsAgree(Transformer tf, int[] ids, double[][] llamaLp, int[] llamaGreedy, String what, double tol) {
        int vocab = tf.model().config().vocabSize();
        float[] logits = tf.forward(new int[][]{ids}, new KVCache[]{tf.newCache(ids.length)}, true, null);
        assertEquals(ids.length, llamaLp.length, what + ": positions");
        double worst = 0;
        int compared = 0;
        for (int t = 0; t < ids.length; t++) {
            assertEquals(vocab, llamaLp[t].length, what + ": vocabulary at " + t);
            for (int v = 0; v < vocab; v++) {
                double shallow = LogProbs.logProb(logits, t * vocab, vocab, v), lc = llamaLp[t][v];
                if (Double.isNaN(lc) || lc < LlamaCpp.LN_FLOAT_MIN_NORMAL) {
                    assertTrue(shallow < LlamaCpp.LN_FLOAT_MIN_NORMAL + tol, what + " position " + t + " token " + v + ": Shallow " + shallow
                            + ", llama.cpp " + lc + " (below float32's normal range)");
                    continue;
                }
                double d = Math.abs(shallow - lc);
                assertTrue(d <= tol, what + " position " + t + " token " + v + ": Shallow " + shallow + ", llama.cpp " + lc);
                worst = Math.max(worst, d);
                compared++;
            }
            if (margin(logits, t * vocab, vocab) > 2 * tol) {
                assertEquals(Sampler.argmax(logits, t * vocab, vocab), llamaGreedy[t], what + ": llama.cpp's greedy choice at " + t);
            }
        }
        assertTrue(compared > ids.length * (vocab / 2), what + ": most log-probabilities compared (" + compared + ")");
        return worst;
    }

    /** The largest logit minus the second largest in logits[off .. off + vocab). */
    static double margin(float[] logits, int off, int vocab) {
        float first = Float.NEGATIVE_INFINITY, second = Float.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            float x = logits[off + v];
            if (x > first) {
                second = first;
                first = x;
            } else if (x > second) {
                second = x;
            }
        }
        return first - second;
    }
}
