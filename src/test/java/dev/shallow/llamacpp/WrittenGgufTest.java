package dev.shallow.llamacpp;

import dev.shallow.Shared;
import dev.shallow.cli.Main;
import dev.shallow.io.HfToGguf;
import dev.shallow.llamacpp.LlamaCppOracleTest.Agreement;
import dev.shallow.llamacpp.LlamaCppOracleTest.Oracle;
import dev.shallow.eval.LogProbs;
import dev.shallow.model.Activation;
import dev.shallow.model.LayerType;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.prune.Layers;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.KVCache;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * llama.cpp on the GGUF files Shallow writes: for every family a pruned model ({@code shallow prune --format gguf --dtype f32}
 * from the Hugging Face directory, layers removed as llama.cpp's architecture can express them) is loaded by llama.cpp, which
 * tokenizes as the Hugging Face tokenizer and agrees with Shallow running the same pruned model two ways: the Hugging Face
 * directory with the removed layers skipped, and the written GGUF loaded back. Compared as {@link LlamaCppOracleTest} compares
 * (greedy tokens while Shallow's top-2 margin exceeds 2 x tol, every next-token log-probability within tol; F32 weights and KV
 * cache on both sides).
 *
 * <p>Tolerances: {@link LlamaCppOracleTest#LOGPROB_TOL} (1e-3) for SiLU families. For GELU families (Gemma 2/3, Phi-2)
 * {@link #GELU_TOL}: llama.cpp's CPU GELU rounds its input to F16 and looks the result up in a table (ggml-cpu vec.h
 * ggml_vec_gelu_f32 with GGML_GELU_FP16), an error of up to about 1e-3 relative per activation, which these random models carry
 * to log-probabilities of a few 1e-3 (the printed lines give the measured maxima).
 *
 * <p>Gemma runs on the checkpoint llama.cpp can express ({@link HfToGguf#expressible}: query_pre_attn_scalar = head_dim, F32);
 * Mistral and the Qwen2 sliding-window model are written with --allow-ignored-window and compared only within their window of
 * 8 tokens, since llama.cpp's llama and qwen2 graphs attend to every earlier token ({@link #ignoredWindowWarnsAndDivergesPastIt}).
 */
class WrittenGgufTest extends LlamaCppTests {
    /** See the class comment: llama.cpp's F16 GELU table. */
    static final double GELU_TOL = 1e-2;
    static final List<String> TEXTS = List.of(LlamaCppOracleTest.PROMPT, LlamaCppOracleTest.STORY, "Hello\nworld  12345, 3.14!", "naïve café 😀 ");

    @ParameterizedTest(name = "{0} without layers {1}")
    @CsvSource({"stories-16L, 10-13, false", "tiny-qwen2-random, 4-6, false", "tiny-qwen3-random, '3,7', false",
            "tiny-smollm3-random, 4-7, false", "tiny-gemma2-random, 2-3, false", "tiny-gemma3-random, 6-11, false",
            "tiny-phi3-random, '2,5', false", "tiny-phi-random, '1,8', false",
            "tiny-mistral-random, '3,4', true", "tiny-qwen2-swa-random, '1,2', true"})
    void prunedGgufAgreesWithShallow(String name, String remove, boolean ignoredWindow) throws java.io.IOException {
        Path hf = name.contains("gemma") ? HfToGguf.expressible(Shared.model(name), tmp.resolve(name))
                : name.contains("phi3") ? Shared.copyModel(Shared.model(name), tmp.resolve("tiny-p3-random")) // see phi3NameWithoutItsTokensIsRefused
                : Shared.model(name);
        Path out = tmp.resolve(name + "-pruned.gguf");
        prune(hf, remove, out, ignoredWindow);
        ModelConfig c = ModelConfig.load(hf);
        int[] kept = Layers.kept(Layers.parse(remove, c.numLayers()), c.numLayers());
        double tol = c.activation() == Activation.GELU_TANH ? GELU_TOL : LlamaCppOracleTest.LOGPROB_TOL;
        int window = ignoredWindow ? window(c) : Integer.MAX_VALUE;
        try (Model hm = Model.load(hf); Model gm = Model.load(out)) {
            assertEquals(kept.length, gm.config().numLayers());
            Tokenizer tok = Tokenizer.load(hf);
            tokenizationAgrees(tok, Tokenizer.load(out), out);
            Transformer skipped = new Transformer(hm, kept), written = new Transformer(gm);
            Oracle o = LlamaCppOracleTest.ask(llama, skipped, tok, out, window);
            Agreement a = o.agree(skipped, name + " pruned (HF, layers skipped)", tol);
            Agreement b = o.agree(written, name + " pruned (written GGUF)", tol);
            assertTrue(Math.max(a.maxLogprobDiff(), b.maxLogprobDiff()) > 0, "the comparison saw the outputs");
        }
    }

    /** A GGUF pruned to a GGUF (the real stories260K.gguf, one layer removed): llama.cpp runs it as Shallow runs the original with the layer skipped. */
    @Test
    void prunedRealGgufAgreesWithShallow() {
        Path out = tmp.resolve("stories260K-pruned.gguf");
        assertEquals(0, Main.run("prune", LlamaCppOracleTest.STORIES_GGUF.toString(), "--remove", "2", "--out", out.toString()));
        try (Model original = Model.load(LlamaCppOracleTest.STORIES_GGUF); Model pruned = Model.load(out)) {
            int[] kept = Layers.kept(new int[]{2}, original.config().numLayers());
            assertEquals(kept.length, pruned.config().numLayers());
            Transformer skipped = new Transformer(original, kept), written = new Transformer(pruned);
            Oracle o = LlamaCppOracleTest.ask(llama, skipped, Tokenizer.load(out), out, Integer.MAX_VALUE);
            Agreement a = o.agree(skipped, "stories260K.gguf pruned (original, layer skipped)", LlamaCppOracleTest.LOGPROB_TOL);
            o.agree(written, "stories260K.gguf pruned (written GGUF)", LlamaCppOracleTest.LOGPROB_TOL);
            assertEquals(LlamaCppOracleTest.GREEDY_TOKENS, a.greedySteps(), "a trained model has no near tie");
        }
    }

    /**
     * A Gemma 3 GGUF Shallow wrote, pruned to a GGUF by a whole sliding period (layers 6-11; its keys copied, block_count cut):
     * llama.cpp runs it as Shallow runs the full file with those layers skipped, within the GELU tolerance.
     */
    @Test
    void prunedGemmaGgufAgreesWithShallow() {
        Path hf = HfToGguf.expressible(Shared.model("tiny-gemma3-random"), tmp.resolve("g3-full")), full = tmp.resolve("g3-full.gguf");
        Path out = tmp.resolve("g3-gguf-pruned.gguf");
        assertEquals(0, shallow("convert", hf.toString(), "--out", full.toString(), "--dtype", "f32").code());
        assertEquals(0, shallow("prune", full.toString(), "--remove", "6-11", "--out", out.toString()).code());
        try (Model original = Model.load(full); Model pruned = Model.load(out)) {
            int[] kept = {0, 1, 2, 3, 4, 5};
            Transformer skipped = new Transformer(original, kept), written = new Transformer(pruned);
            Oracle o = LlamaCppOracleTest.ask(llama, skipped, Tokenizer.load(out), out, Integer.MAX_VALUE);
            o.agree(skipped, "tiny-gemma3-random GGUF pruned (original GGUF, layers skipped)", GELU_TOL);
            o.agree(written, "tiny-gemma3-random GGUF pruned (written GGUF)", GELU_TOL);
        }
    }

    /**
     * #22 trap 3: tiny-mistral-random (sliding_window 8 on every layer) written with --allow-ignored-window warns in one line naming
     * the key and the token count; llama.cpp, whose llama graph has no sliding window, agrees with Shallow within the window
     * ({@link #prunedGgufAgreesWithShallow}) and not past it: at the story's positions from the window on, its log-probabilities
     * differ from Shallow's by more than the tolerance.
     */
    @Test
    void ignoredWindowWarnsAndDivergesPastIt() {
        Path hf = Shared.model("tiny-mistral-random"), out = tmp.resolve("mistral-window.gguf");
        String err = prune(hf, "3,4", out, true);
        List<String> warnings = err.lines().filter(l -> l.startsWith("shallow: warning: ")).toList();
        assertEquals(1, warnings.size(), err);
        assertTrue(warnings.getFirst().contains("sliding_window = 8") && warnings.getFirst().contains("longer than 8 tokens"), warnings.getFirst());
        ModelConfig c = ModelConfig.load(hf);
        int window = window(c);
        try (Model hm = Model.load(hf)) {
            Transformer skipped = new Transformer(hm, Layers.kept(new int[]{3, 4}, c.numLayers()));
            Tokenizer tok = Tokenizer.load(hf);
            Oracle o = LlamaCppOracleTest.ask(llama, skipped, tok, out, Integer.MAX_VALUE);
            int[] story = o.story();
            assertTrue(story.length > window + 4, "the story is longer than the window");
            int vocab = c.vocabSize();
            float[] logits = skipped.forward(new int[][]{story}, new KVCache[]{skipped.newCache(story.length)}, true, null);
            double[][] lc = o.answer().logprobs(0);
            double within = 0, past = 0;
            for (int t = 0; t < story.length; t++) {
                for (int v = 0; v < vocab; v++) {
                    if (Double.isNaN(lc[t][v]) || lc[t][v] < LlamaCpp.LN_FLOAT_MIN_NORMAL) continue;
                    double d = Math.abs(LogProbs.logProb(logits, t * vocab, vocab, v) - lc[t][v]);
                    if (t < window) within = Math.max(within, d);
                    else past = Math.max(past, d);
                }
            }
            System.out.printf("tiny-mistral-random pruned, window %d: max |d log p| %.3g within the window, %.3g past it%n", window, within, past);
            assertTrue(within <= LlamaCppOracleTest.LOGPROB_TOL, "within the window: " + within);
            assertTrue(past > 100 * LlamaCppOracleTest.LOGPROB_TOL, "past the window llama.cpp computes another model: " + past);
        }
    }

    /**
     * ReplaceMe's folded down_proj in GGUF: stories-16L without layers 6-9 with the map folded in, written as GGUF from the Hugging
     * Face directory and from a float GGUF of the same model (each estimating its map on the same calibration): llama.cpp runs each
     * file as Shallow runs the folded Hugging Face checkpoint, and Shallow on each file agrees too. A quantized GGUF is refused in one
     * line, nothing written.
     */
    @Test
    void replacedGgufAgreesWithShallow() {
        Path hf = Shared.model("stories-16L"), dir = tmp.resolve("s16-replaced"), full = tmp.resolve("s16-f32.gguf"), q8 = tmp.resolve("s16-q8.gguf");
        List<String> replace = List.of("--remove", "6-9", "--replace", "linear", "--data", "data/stories260K-train-64.jsonl", "--samples", "4", "--seq-len", "64");
        assertEquals(0, shallow(args("prune", hf, replace, "--out", dir.toString())).code());
        assertEquals(0, shallow("convert", hf.toString(), "--out", full.toString(), "--dtype", "f32").code());
        Path fromHf = tmp.resolve("s16-replaced-hf.gguf"), fromGguf = tmp.resolve("s16-replaced-gguf.gguf");
        assertEquals(0, shallow(args("prune", hf, replace, "--format", "gguf", "--dtype", "f32", "--out", fromHf.toString())).code());
        assertEquals(0, shallow(args("prune", full, replace, "--out", fromGguf.toString())).code());
        try (Model folded = Model.load(dir)) {
            Transformer tf = new Transformer(folded);
            for (Path gguf : List.of(fromHf, fromGguf)) {
                try (Model written = Model.load(gguf)) {
                    Oracle o = LlamaCppOracleTest.ask(llama, tf, Tokenizer.load(dir), gguf, Integer.MAX_VALUE);
                    Agreement a = o.agree(tf, "stories-16L replaced (folded HF) vs llama.cpp on " + gguf.getFileName(), LlamaCppOracleTest.LOGPROB_TOL);
                    o.agree(new Transformer(written), "stories-16L replaced (" + gguf.getFileName() + ")", LlamaCppOracleTest.LOGPROB_TOL);
                    assertEquals(LlamaCppOracleTest.GREEDY_TOKENS, a.greedySteps(), "a trained model has no near tie");
                }
            }
        }
        assertEquals(0, shallow("convert", hf.toString(), "--out", q8.toString(), "--dtype", "q8_0").code());
        Path refused = tmp.resolve("s16-replaced-q8.gguf");
        Run r = shallow(args("prune", q8, replace, "--out", refused.toString()));
        assertEquals(1, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("down projection is Q8_0"), r.err());
        assertTrue(!java.nio.file.Files.exists(refused), "nothing written");
    }

    private static String[] args(String command, Path model, List<String> options, String... more) {
        List<String> all = new ArrayList<>(List.of(command, model.toString()));
        all.addAll(options);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    /**
     * A directory named like Phi-3 whose tokenizer lacks a token llama.cpp's Phi-3 rule looks up (tiny-phi3-random has no
     * {@code <|endoftext|>}): llama.cpp v0.4.0 fails to load such a file ("error loading model vocabulary: _Map_base::at", seen on the
     * file written before this check existed), so Shallow refuses to write it, in
     * one line naming the token; the same model in a directory of another name is written and agrees ({@link #prunedGgufAgreesWithShallow}).
     */
    @Test
    void phi3NameWithoutItsTokensIsRefused() {
        Path out = tmp.resolve("phi3-named.gguf");
        Run r = shallow("prune", Shared.model("tiny-phi3-random").toString(), "--remove", "2", "--format", "gguf", "--out", out.toString());
        int code = r.code();
        String text = r.err().strip();
        assertEquals(1, code, text);
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.contains("general.name 'tiny-phi3-random'") && text.contains("'<|endoftext|>'"), text);
        assertTrue(!java.nio.file.Files.exists(out), "nothing written");
    }

    /** The smallest sliding window of {@code c}'s layers (a sequence that long is computed the same with or without it). */
    private static int window(ModelConfig c) {
        return c.layerTypes().stream().filter(LayerType::sliding).mapToInt(LayerType::window).min().orElseThrow();
    }

    /** llama.cpp's tokenization of {@link #TEXTS} (and its add_bos) is the Hugging Face tokenizer's, and so is Shallow's of the written GGUF. */
    private static void tokenizationAgrees(Tokenizer hf, Tokenizer written, Path gguf) {
        LlamaCpp.Request r = llama.on(gguf);
        for (String text : TEXTS) r.tokenize(text, false, false);
        LlamaCpp.Answer a = llama.run(r);
        boolean addBos = a.json().path("model").path("add_bos").asBoolean();
        for (int i = 0; i < TEXTS.size(); i++) {
            String text = TEXTS.get(i);
            int[] plain = hf.encode(text, false);
            assertArrayEquals(plain, a.tokenize(i), gguf.getFileName() + ": " + text);
            assertArrayEquals(plain, written.encode(text, false), "Shallow on the GGUF: " + text);
            int[] special = hf.encode(text, true);
            int[] llamaSpecial = addBos ? java.util.stream.IntStream.concat(java.util.stream.IntStream.of(a.json().path("model").path("bos").asInt()),
                    java.util.Arrays.stream(plain)).toArray() : plain;
            assertArrayEquals(special, llamaSpecial, gguf.getFileName() + ": llama.cpp's add_bos " + addBos + " on " + text);
        }
    }

    /** {@code shallow prune HF --remove R --format gguf --dtype f32 --out OUT} (exit 0); returns its stderr. */
    private static String prune(Path hf, String remove, Path out, boolean allowIgnoredWindow) {
        List<String> args = new ArrayList<>(List.of("prune", hf.toString(), "--remove", remove, "--format", "gguf", "--dtype", "f32", "--out", out.toString()));
        if (allowIgnoredWindow) args.add("--allow-ignored-window");
        Run r = shallow(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return r.err();
    }

    record Run(int code, String err) {
    }

    /** The CLI in-process: its exit code and stderr. */
    private static synchronized Run shallow(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            return new Run(Main.run(args), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(old);
        }
    }
}
