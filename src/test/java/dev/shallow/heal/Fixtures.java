package dev.shallow.heal;

import dev.shallow.Shared;
import dev.shallow.tokenizer.Tokenizer;
import org.junit.jupiter.params.provider.Arguments;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/** Inputs shared by the training tests. */
final class Fixtures {
    static final String[] TEXTS = {
            "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.",
            "One day, a big dog ran to the tree. The dog was happy and wagged its tail."};

    private Fixtures() {
    }

    /**
     * Every tiny-*-random architecture with a pruned subset of its layers that mixes its layer kinds: Qwen3;
     * Gemma 3 sliding (local RoPE) and full (global, linearly scaled) layers; Gemma 2 sliding and full; Phi-3;
     * Phi-2; SmolLM3 with NoPE layers 3 and 7; Mistral (window 8 everywhere); Qwen2 full and sliding layers.
     */
    static Stream<Arguments> families() {
        return Stream.of(
                Arguments.of("tiny-qwen3-random", new int[]{0, 4, 9}),
                Arguments.of("tiny-gemma3-random", new int[]{0, 5, 8, 11}),
                Arguments.of("tiny-gemma2-random", new int[]{0, 1, 6}),
                Arguments.of("tiny-phi3-random", new int[]{0, 5, 9}),
                Arguments.of("tiny-phi-random", new int[]{0, 4, 9}),
                Arguments.of("tiny-smollm3-random", new int[]{2, 3, 7}),
                Arguments.of("tiny-mistral-random", new int[]{0, 9}),
                Arguments.of("tiny-qwen2-swa-random", new int[]{1, 6, 9}));
    }

    /** The two stories, tokenised with BOS by stories260K's tokenizer (shared by all test models), cut to the given lengths. */
    static Batch stories(int... lengths) {
        Tokenizer tok = Tokenizer.load(Shared.model("stories260K"));
        int[][] seqs = new int[lengths.length][];
        for (int b = 0; b < lengths.length; b++) seqs[b] = Arrays.copyOf(tok.encode(TEXTS[b % TEXTS.length], true), lengths[b]);
        return Batch.nextToken(seqs);
    }

    /** B drawn uniform in +-scale (PEFT starts it at zero, where dL/dA = 0 and A's gradient check would be empty). */
    static void randomiseB(TrainableModel model, long seed, double scale) {
        SplittableRandom random = new SplittableRandom(seed);
        for (Lora l : model.adapters()) {
            float[] b = l.b().value();
            for (int i = 0; i < b.length; i++) b[i] = (float) ((2 * random.nextDouble() - 1) * scale);
        }
    }
}
