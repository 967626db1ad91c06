package dev.shallow.tokenizer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Encode throughput on the held-out stories (printed only: the machine may be shared), and one very long
 * BPE word with a time limit far above what the heap-based merge needs, so only a quadratic-time
 * regression fails it.
 */
class TokenizerSpeedTest {
    private static final double LONG_WORD_SECONDS = 5;

    @Test
    void stories260K() throws IOException {
        measure("stories260K", Tokenizer.load(Shared.path("models/stories260K")));
    }

    @Test
    void gpt2() throws IOException {
        measure("gpt2", Tokenizer.load(Shared.path("golden/tokenizers/gpt2-tokenizer.json")));
    }

    /** stories260K has no pre-tokenizer: the held-out text, 4 times over, is a single BPE word of ~110k symbols. */
    @Test
    void oneLongWord() throws IOException {
        Tokenizer tok = Tokenizer.load(Shared.path("models/stories260K"));
        String stories = String.join(" ", TokenizerStoriesTest.heldOut());
        String text = String.join(" ", stories, stories, stories, stories);
        long start = System.nanoTime();
        int[] ids = tok.encode(text, false);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("stories260K one word of %d chars: %d tokens in %.3f s%n", text.length(), ids.length, seconds);
        assertEquals(text, tok.decode(ids, false));
        assertTrue(seconds < LONG_WORD_SECONDS, "too slow: " + seconds + " s");
    }

    private static void measure(String name, Tokenizer tok) throws IOException {
        List<String> texts = TokenizerStoriesTest.heldOut();
        for (String text : texts) tok.encode(text, true); // warm-up
        long tokens = 0;
        long start = System.nanoTime();
        for (int round = 0; round < 20; round++) {
            for (String text : texts) tokens += tok.encode(text, true).length;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%s encode, held-out stories x20: %d tokens in %.2f s = %.0f tokens/s%n", name, tokens, seconds, tokens / seconds);
        assertEquals(tokens, 20L * texts.stream().mapToInt(t -> tok.encode(t, true).length).sum());
    }
}
