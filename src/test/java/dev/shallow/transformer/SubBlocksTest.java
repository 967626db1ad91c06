package dev.shallow.transformer;

import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.model.Model;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Leaving out attention or MLP sub-blocks and zeroing heads, checked against whole-layer removal and each other. */
class SubBlocksTest {
    static final int[] IDS = LayerSkipTest.IDS;

    private static float[] logits(Transformer tf) {
        return tf.forward(IDS, tf.newCache(IDS.length), true);
    }

    /** A layer without its attention and its MLP is the layer removed, bit for bit, for a sequential and a parallel (Phi-2) block. */
    @Test
    void bothSubBlocksRemovedIsTheLayerRemoved() {
        for (String name : new String[]{"stories260K", "tiny-phi-random"}) {
            try (Model model = Model.load(Shared.model(name))) {
                int n = model.config().numLayers();
                float[] without = logits(new Transformer(model, Transformer.without(n, 1)));
                float[] empty = logits(new Transformer(model, Transformer.allLayers(n), SubBlocks.removing(n, new int[]{1}, new int[]{1})));
                assertArrayEquals(without, empty, name);
            }
        }
    }

    /** Zeroing every head of a layer without an o_proj bias is removing its attention, bit for bit; zeroing one head changes the logits. */
    @Test
    void allHeadsZeroedIsAttentionRemoved() {
        try (Model model = Model.load(Shared.model("stories260K"))) {
            var c = model.config();
            int n = c.numLayers();
            int[] all = new int[c.numHeads()];
            for (int h = 0; h < all.length; h++) all[h] = h;
            float[] noAttention = logits(new Transformer(model, Transformer.allLayers(n), SubBlocks.removing(n, new int[]{2}, new int[0])));
            assertArrayEquals(noAttention, logits(new Transformer(model, Transformer.allLayers(n), SubBlocks.zeroingHeads(c, 2, all))));
            float[] full = logits(new Transformer(model));
            float[] oneHead = logits(new Transformer(model, Transformer.allLayers(n), SubBlocks.zeroingHeads(c, 2, 0)));
            boolean differs = false;
            for (int i = 0; i < full.length; i++) differs |= full[i] != oneHead[i];
            assertFalse(java.util.Arrays.equals(full, noAttention));
            assertEquals(true, differs);
        }
    }

    /** The after-attention observer sees the stream between the sub-blocks: with the MLP removed, the next layer's input. */
    @Test
    void afterAttentionObserverSeesTheMidStream() {
        try (Model model = Model.load(Shared.model("stories260K"))) {
            int n = model.config().numLayers();
            Transformer tf = new Transformer(model, Transformer.allLayers(n), SubBlocks.removing(n, new int[0], new int[]{1}));
            Transformer.Pass pass = tf.begin(new int[][]{IDS}, new KVCache[]{tf.newCache(IDS.length)}, null);
            Transformer.Workspace ws = new Transformer.Workspace();
            List<float[]> mid = new ArrayList<>();
            pass.layer(0, ws);
            pass.layer(1, ws, (l, x, t, h) -> mid.add(x.clone()));
            assertArrayEquals(mid.get(0), pass.stream());
        }
    }

    @Test
    void impossibleSubBlocksAreRefused() {
        try (Model model = Model.load(Shared.model("stories260K"))) {
            var c = model.config();
            assertThrows(ShallowException.class, () -> SubBlocks.removing(c.numLayers(), new int[]{c.numLayers()}, new int[0]));
            assertThrows(ShallowException.class, () -> SubBlocks.removing(c.numLayers(), new int[0], new int[]{-1}));
            assertThrows(ShallowException.class, () -> SubBlocks.zeroingHeads(c, 0, c.numHeads()));
        }
    }
}
