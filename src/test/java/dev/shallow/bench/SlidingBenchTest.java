package dev.shallow.bench;

import dev.shallow.io.Checkpoint;
import dev.shallow.model.Model;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SlidingBenchTest {
    static final ModelShape SMALL = RandomCheckpointTest.SMALL;
    /** Window 4 over the small random shape (kv dim 32): contexts of 8, 16 and 32 tokens; a sliding layer's ring of 4 + 4 - 1 = 7 slots. */
    static final SlidingShape SHAPE = new SlidingShape(SMALL, 4);

    @TempDir
    Path tmp;

    /** The sliding checkpoint in tmp/s, its full-attention twin in tmp/f. */
    private Path[] checkpoints() {
        Path sliding = RandomCheckpoint.ensure(SMALL, SHAPE.configJson(true), 7, tmp.resolve("s"), RandomCheckpointTest.TOKENIZER);
        return new Path[]{sliding, RandomCheckpoint.withConfig(sliding, tmp.resolve("f"), SHAPE.configJson(false))};
    }

    @Test
    void theFullAttentionTwinReadsTheSlidingCheckpointsWeights() throws IOException {
        Path[] dirs = checkpoints();
        assertTrue(RandomCheckpoint.matches(dirs[0], SMALL, SHAPE.configJson(true), 7));
        assertFalse(RandomCheckpoint.matches(dirs[0], SMALL, SHAPE.configJson(false), 7), "another config.json: no match");
        assertEquals(-1, Files.mismatch(dirs[0].resolve(Checkpoint.SINGLE), dirs[1].resolve(Checkpoint.SINGLE)));
        assertTrue(Files.isRegularFile(dirs[1].resolve("tokenizer.json")));
        try (Model s = Model.load(dirs[0]); Model f = Model.load(dirs[1])) {
            assertEquals(4, s.config().layerType(1).window());
            assertEquals(0, f.config().layerType(1).window());
            Transformer ts = new Transformer(s), tf = new Transformer(f);
            int[] window = {5, 6, 7, 8}, longer = {5, 6, 7, 8, 9, 10};
            assertArrayEquals(tf.forward(window, tf.newCache(4), false), ts.forward(window, ts.newCache(4), false), "T <= W: the same keys");
            assertFalse(Arrays.equals(tf.forward(longer, tf.newCache(6), false), ts.forward(longer, ts.newCache(6), false)));
            // a layer's keys and values after 16 tokens: 2 x slots x kvDim (32) floats, 7 ring slots vs 16
            assertEquals(2 * 7 * 32 * 4, ts.newCache(16).bytes(0));
            assertEquals(2 * 16 * 32 * 4, tf.newCache(16).bytes(0));
        }
    }

    @Test
    void measuresEachContextWithBothModelsAndTheirCaches() {
        Path[] dirs = checkpoints();
        List<String> heard = new ArrayList<>();
        try (Model s = Model.load(dirs[0]); Model f = Model.load(dirs[1])) {
            SlidingSpeed speed = new Bench(new Transformer(s), 1, 0, (name, unit, m) -> heard.add(name)).sliding(SHAPE, new Transformer(f), 0);
            assertEquals(List.of(8, 16, 32), speed.prefills().stream().map(SlidingPrefill::tokens).toList());
            for (SlidingPrefill p : speed.prefills()) {
                assertTrue(p.sliding().perSecond() > 0 && p.full().perSecond() > 0);
                assertEquals(2 * 7 * 32 * 4, p.slidingLayerKvBytes(), "a ring of 7 slots whatever the context");
                assertEquals(2L * p.tokens() * 32 * 4, p.fullLayerKvBytes());
            }
        }
        assertEquals(List.of("sliding-window prefill_1x8", "full-attention prefill_1x8"), heard.subList(0, 2));
    }
}
