package dev.shallow.llamacpp;

import dev.shallow.Shared;
import dev.shallow.cli.Main;
import dev.shallow.io.GgufFile;
import dev.shallow.llamacpp.LlamaCppOracleTest.Agreement;
import dev.shallow.llamacpp.LlamaCppOracleTest.Oracle;
import dev.shallow.model.Model;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * {@code shallow heal FILE.gguf --merge}: llama.cpp loads the merged GGUF (the real stories260K.gguf healed for a few steps)
 * and agrees with Shallow on it (greedy tokens, next-token log-probabilities within 1e-3), and the merge changed the
 * weights (the merge itself is checked block for block in QuantizedBaseHealingTest).
 */
class MergedGgufTest extends LlamaCppTests {

    @Test
    void llamaCppRunsTheMergedGgufAsShallowDoes() {
        Path out = tmp.resolve("healed"), merged = out.resolve("merged.gguf");
        String data = Shared.root().resolve("data/stories260K-samples/train.jsonl").toString();
        assertEquals(0, Main.run("heal", LlamaCppOracleTest.STORIES_GGUF.toString(), "--data", data, "--tokens", "384", "--batch", "2",
                "--seq-len", "64", "--lr", "1e-2", "--heldout-samples", "4", "--merge", "--out", out.toString()));
        try (GgufFile before = GgufFile.open(LlamaCppOracleTest.STORIES_GGUF); GgufFile after = GgufFile.open(merged)) {
            String q = "blk.0.attn_q.weight";
            assertFalse(Arrays.equals(before.tensorData(q).toArray(ValueLayout.JAVA_BYTE), after.tensorData(q).toArray(ValueLayout.JAVA_BYTE)),
                    "healing changed " + q);
        }
        try (Model m = Model.load(merged)) {
            Transformer tf = new Transformer(m);
            Oracle o = LlamaCppOracleTest.ask(llama, tf, Tokenizer.load(merged), merged, Integer.MAX_VALUE);
            Agreement a = o.agree(tf, "stories260K.gguf healed and merged", LlamaCppOracleTest.LOGPROB_TOL);
            assertEquals(LlamaCppOracleTest.GREEDY_TOKENS, a.greedySteps(), "a trained model has no near tie");
        }
    }
}
