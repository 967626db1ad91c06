package dev.shallow.transformer;

import dev.shallow.Shared;
import dev.shallow.model.Model;
import dev.shallow.tensor.Parallel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The same input gives the same logits bit for bit: on the first (interpreted) run and after the JIT
 * has compiled everything, with 1, 2 or 3 threads, and token by token through the KV cache.
 */
class DeterminismTest {
    private final int threads = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(threads);
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories-16L", "tiny-qwen2-random"})
    void logitsAreBitIdenticalAcrossRunsAndThreadCounts(String name) {
        int[] ids = new int[160];
        for (int i = 0; i < ids.length; i++) ids[i] = 3 + (i * 37) % 500;
        try (Model model = Model.load(Shared.model(name))) {
            Transformer tf = new Transformer(model);
            float[] first = tf.forward(ids, tf.newCache(ids.length), true);
            for (int run = 0; run < 30; run++) {
                Parallel.setThreads(1 + run % 3);
                assertArrayEquals(first, tf.forward(ids, tf.newCache(ids.length), true), "run " + run);
            }
            int vocab = model.config().vocabSize();
            KVCache cache = tf.newCache(ids.length);
            for (int t = 0; t < ids.length; t++) {
                float[] step = tf.forward(new int[]{ids[t]}, cache, false);
                float[] want = java.util.Arrays.copyOfRange(first, t * vocab, (t + 1) * vocab);
                // decode runs the GEMV, which sums in another order than the prefill's GEMM: equal within 1e-5 (relative above 1)
                for (int v = 0; v < vocab; v++) assertEquals(want[v], step[v], 1e-5f * Math.max(1f, Math.abs(want[v])), "decode step " + t + " logit " + v);
            }
        }
    }
}
