package dev.shallow.generate;

import dev.shallow.ShallowException;
import dev.shallow.transformer.KVCache;
import dev.shallow.transformer.Transformer;

import java.util.Arrays;
import java.util.function.IntConsumer;

/** Autoregressive generation: prefill the prompt once, then one token at a time through the KV cache. */
public final class Generator {
    private final Transformer transformer;

    public Generator(Transformer transformer) {
        this.transformer = transformer;
    }

    /** What a generation produced and how fast: prefill and decode rates in tokens per second. */
    public record Result(int[] tokens, double prefillTokensPerSecond, double decodeTokensPerSecond) {
    }

    /**
     * Generates up to {@code maxNew} tokens after {@code prompt}, handing each to {@code onToken} as it
     * is produced; stops early at {@code eosId} when it is >= 0.
     */
    public Result generate(int[] prompt, int maxNew, Sampler sampler, int eosId, IntConsumer onToken) {
        int context = transformer.model().config().maxPositionEmbeddings();
        if (prompt.length == 0) throw new ShallowException("the prompt is empty");
        if (prompt.length > context) {
            throw new ShallowException("prompt of " + prompt.length + " tokens is longer than the model's context of " + context + " tokens");
        }
        int vocab = transformer.model().config().vocabSize();
        KVCache cache = transformer.newCache(Math.min(context, prompt.length + maxNew));
        int[] out = new int[maxNew];
        int n = 0;
        long t0 = System.nanoTime();
        float[] logits = transformer.forward(prompt, cache, false);
        long t1 = System.nanoTime();
        while (n < maxNew) {
            int next = sampler.sample(logits, 0, vocab);
            out[n++] = next;
            onToken.accept(next);
            if (next == eosId || cache.length() == cache.capacity()) break;
            logits = transformer.forward(new int[]{next}, cache, false);
        }
        long t2 = System.nanoTime();
        return new Result(Arrays.copyOf(out, n), prompt.length / ((t1 - t0) / 1e9),
                n > 1 ? (n - 1) / ((t2 - t1) / 1e9) : Double.NaN);
    }
}
