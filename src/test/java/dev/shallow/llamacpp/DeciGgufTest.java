package dev.shallow.llamacpp;

import dev.shallow.Shared;
import dev.shallow.cli.Main;
import dev.shallow.convert.GgufExporter;
import dev.shallow.io.GgmlType;
import dev.shallow.io.GgufFile;
import dev.shallow.io.GgufMetadata;
import dev.shallow.llamacpp.LlamaCppOracleTest.Agreement;
import dev.shallow.llamacpp.LlamaCppOracleTest.Oracle;
import dev.shallow.model.AbsentSubBlocks;
import dev.shallow.model.Model;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.SubBlocks;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #22's must-show: llama.cpp on the deci GGUF Shallow writes for stories-16L with sub-blocks removed computes the model
 * Shallow computes by skipping them ({@link SubBlocks} on the Hugging Face directory) and the model Shallow reads back from
 * the file: block 4 keeps its attention and loses its MLP (a stand-in MLP, feed_forward_length 1), block 9 loses its attention
 * only, block 11 is an empty middle block (head count and feed-forward length 0). Compared as {@link LlamaCppOracleTest}
 * compares (greedy tokens while Shallow's top-2 margin exceeds 2 x 1e-3, every next-token log-probability within 1e-3; F32).
 */
class DeciGgufTest extends LlamaCppTests {
    private static final int LAYERS = 16;

    @Test
    void deciFromHuggingFaceAgreesWithShallowsSkipping() {
        Path hf = Shared.model("stories-16L"), out = tmp.resolve("s16-deci.gguf");
        AbsentSubBlocks absent = AbsentSubBlocks.none(LAYERS);
        absent.mlp()[4] = absent.attention()[9] = absent.attention()[11] = absent.mlp()[11] = true;
        GgufExporter.write(hf, out, new GgufExporter.Options(GgmlType.F32, false), Transformer.allLayers(LAYERS), absent, null);
        try (GgufFile g = GgufFile.open(out)) {
            GgufMetadata m = g.metadata();
            assertEquals("deci", m.string("general.architecture"));
            int[] heads = m.intArray("deci.attention.head_count"), ffn = m.intArray("deci.feed_forward_length");
            assertEquals(0, heads[9]);
            assertEquals(0, heads[11]);
            assertEquals(4, heads[4]);
            assertEquals(1, ffn[4], "a stand-in MLP under block 4's kept attention, not 0 (#22 trap 1)");
            assertEquals(0, ffn[11]);
            assertEquals(352, ffn[9]);
            assertTrue(!g.tensors().containsKey("blk.9.attn_q.weight") && !g.tensors().containsKey("blk.11.ffn_norm.weight"));
        }
        agrees(hf, SubBlocks.removing(LAYERS, new int[]{9, 11}, new int[]{4, 11}), out, "stories-16L deci");
    }

    /**
     * Qwen2 as deci (CLI, from the BF16 Hugging Face directory with --dtype f32): its q/k/v biases and rotate-half RoPE, the q/k
     * rows interleaved for deci's RoPE as for llama; a random model, so greedy tokens are compared while Shallow's margin allows.
     */
    @Test
    void qwen2AsDeciAgreesWithShallowsSkipping() {
        Path hf = Shared.model("tiny-qwen2-random"), out = tmp.resolve("q2-deci.gguf");
        assertEquals(0, Main.run("prune", hf.toString(), "--remove-attention", "3", "--remove-mlp", "7", "--format", "gguf", "--dtype", "f32",
                "--out", out.toString()));
        try (Model hm = Model.load(hf); Model gm = Model.load(out)) {
            int n = hm.config().numLayers();
            Transformer skipped = new Transformer(hm, Transformer.allLayers(n), SubBlocks.removing(n, new int[]{3}, new int[]{7}));
            Oracle o = LlamaCppOracleTest.ask(llama, skipped, Tokenizer.load(out), out, Integer.MAX_VALUE);
            o.agree(skipped, "tiny-qwen2-random deci (HF, sub-blocks skipped)", LlamaCppOracleTest.LOGPROB_TOL);
            o.agree(new Transformer(gm), "tiny-qwen2-random deci (written GGUF)", LlamaCppOracleTest.LOGPROB_TOL);
        }
    }

    /**
     * A llama GGUF pruned to deci through the CLI ({@code prune FILE.gguf --remove 12 --remove-attention 9 --remove-mlp 4}): kept
     * tensors copied, llama.cpp agrees with Shallow's skipping on the source file.
     */
    @Test
    void deciFromGgufAgreesWithShallowsSkipping() {
        Path full = tmp.resolve("s16.gguf"), out = tmp.resolve("s16-gguf-deci.gguf");
        assertEquals(0, Main.run("convert", Shared.model("stories-16L").toString(), "--out", full.toString(), "--dtype", "f32"));
        assertEquals(0, Main.run("prune", full.toString(), "--remove", "12", "--remove-attention", "9", "--remove-mlp", "4", "--out", out.toString()));
        try (GgufFile src = GgufFile.open(full); GgufFile dst = GgufFile.open(out)) {
            assertEquals(LAYERS - 1, dst.metadata().intValue("deci.block_count"));
            assertArrayEquals(bytes(src, "blk.13.attn_q.weight"), bytes(dst, "blk.12.attn_q.weight"), "kept tensors copied");
        }
        try (Model original = Model.load(full); Model deci = Model.load(out)) {
            int[] kept = Transformer.without(LAYERS, 12);
            Transformer skipped = new Transformer(original, kept, SubBlocks.removing(LAYERS, new int[]{9}, new int[]{4}));
            Oracle o = LlamaCppOracleTest.ask(llama, skipped, Tokenizer.load(out), out, Integer.MAX_VALUE);
            o.agree(skipped, "stories-16L GGUF to deci (source GGUF, sub-blocks skipped)", LlamaCppOracleTest.LOGPROB_TOL);
            o.agree(new Transformer(deci), "stories-16L GGUF to deci (written file)", LlamaCppOracleTest.LOGPROB_TOL);
        }
    }

    private static byte[] bytes(GgufFile g, String tensor) {
        return g.tensorData(tensor).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    /** llama.cpp on {@code gguf} against Shallow skipping {@code parts} of {@code hf}, and Shallow on {@code gguf}. */
    private static void agrees(Path hf, SubBlocks parts, Path gguf, String what) {
        try (Model hm = Model.load(hf); Model gm = Model.load(gguf)) {
            Transformer skipped = new Transformer(hm, Transformer.allLayers(LAYERS), parts), written = new Transformer(gm);
            for (int l : new int[]{9, 11}) assertTrue(!written.runsAttention(l), "Shallow reads block " + l + " without attention");
            for (int l : new int[]{4, 11}) assertTrue(!written.runsMlp(l), "Shallow reads block " + l + " without MLP");
            Oracle o = LlamaCppOracleTest.ask(llama, skipped, Tokenizer.load(gguf), gguf, Integer.MAX_VALUE);
            Agreement a = o.agree(skipped, what + " (HF, sub-blocks skipped)", LlamaCppOracleTest.LOGPROB_TOL);
            o.agree(written, what + " (written GGUF)", LlamaCppOracleTest.LOGPROB_TOL);
            assertEquals(LlamaCppOracleTest.GREEDY_TOKENS, a.greedySteps(), "a trained model has no near tie");
        }
    }
}
