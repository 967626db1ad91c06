package dev.shallow.transformer;

import dev.shallow.RefLlama;
import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.model.Model;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Running a subset of layers: the input of a removed block feeds the next kept layer. */
class LayerSkipTest {
    static final int[] IDS = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376};

    /** Against the independent reference run on the same layer subsets (float64; tolerance 1e-4 as for full models). */
    @Test
    void skippedLayersMatchReference() throws Exception {
        try (Model model = Model.load(Shared.model("stories-16L"))) {
            int vocab = model.config().vocabSize();
            for (int[] removed : new int[][]{{8}, {6, 7, 8, 9}, {0}, {15}, {3, 5, 11, 13}}) {
                int[] kept = Transformer.without(16, removed);
                Transformer tf = new Transformer(model, kept);
                float[] got = tf.forward(IDS, tf.newCache(IDS.length), true);
                float[] want = RefLlama.logits(Shared.model("stories-16L"), IDS, kept);
                assertEquals(want.length, got.length);
                for (int i = 0; i < got.length; i++) {
                    assertEquals(want[i], got[i], 1e-4, "removed " + Arrays.toString(removed) + " at " + i / vocab);
                }
            }
        }
    }

    @Test
    void observerSeesKeptLayersWithOriginalIndices() {
        try (Model model = Model.load(Shared.model("stories260K"))) {
            Transformer tf = new Transformer(model, Transformer.without(5, 1, 3));
            List<Integer> seen = new ArrayList<>();
            tf.forward(new int[][]{IDS}, new KVCache[]{tf.newCache(IDS.length)}, false, (l, x, n, h) -> seen.add(l));
            assertEquals(List.of(0, 2, 4, 5), seen);
        }
    }

    @Test
    void invalidLayerSetsAreRefused() {
        try (Model model = Model.load(Shared.model("stories260K"))) {
            assertThrows(ShallowException.class, () -> new Transformer(model, new int[]{0, 0, 1}));
            assertThrows(ShallowException.class, () -> new Transformer(model, new int[]{3, 1}));
            assertThrows(ShallowException.class, () -> new Transformer(model, new int[]{5}));
            assertThrows(ShallowException.class, () -> Transformer.without(5, 5));
            assertArrayEquals(new int[]{0, 2, 3}, Transformer.without(4, 1));
        }
    }
}
