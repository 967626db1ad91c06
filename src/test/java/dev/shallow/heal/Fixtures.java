package dev.shallow.heal;

import dev.shallow.Shared;
import dev.shallow.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Inputs shared by the training tests. */
final class Fixtures {
    static final String[] TEXTS = {
            "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.",
            "One day, a big dog ran to the tree. The dog was happy and wagged its tail."};

    private Fixtures() {
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
