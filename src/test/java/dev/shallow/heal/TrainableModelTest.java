package dev.shallow.heal;

import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.eval.LogProbs;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainableModelTest {
    static final LoraConfig LORA = new LoraConfig(4, 8, 0.1, LoraConfig.ALL, 1);

    /**
     * With B = 0 (PEFT's start) the adapted model is the base model: its loss equals the inference
     * path's mean next-token NLL (Transformer + LogProbs) on a pruned subset, within 1e-5 (both
     * float32; the golden loss tolerance is 1e-4).
     */
    @Test
    void untrainedLossIsTheInferenceLoss() {
        try (Model model = Model.load(Shared.model("stories-16L"))) {
            int[] kept = Transformer.without(16, 5, 9, 10);
            Batch batch = Fixtures.stories(20, 13);
            Transformer tf = new Transformer(model, kept);
            double sum = 0;
            int count = 0;
            for (int[] ids : batch.inputs()) {
                float[] logits = tf.forward(ids, tf.newCache(ids.length), true);
                sum += LogProbs.meanNll(logits, ids, model.config().vocabSize()) * (ids.length - 1);
                count += ids.length - 1;
            }
            TrainableModel tm = new TrainableModel(Base.dense(model), kept, LORA, Precision.FLOAT32, false);
            assertEquals(sum / count, tm.loss(batch), 1e-5);
            assertEquals(sum / count, tm.lossAndGradients(batch, 3), 1e-5, "dropout before A changes nothing while B = 0");
        }
    }

    /** The NF4 base computes exactly what a dense base holding the dequantized weights does. */
    @Test
    void nf4BaseIsItsDequantizedWeights() {
        try (Model model = Model.load(Shared.model("stories260K"))) {
            int[] kept = {0, 2, 4};
            Base nf4 = Base.nf4(model, kept);
            EditableBase dequantized = EditableBase.copy(model);
            for (int l : kept) {
                for (int i = 0; i < nf4.modules().size(); i++) {
                    Weight q = nf4.layers()[l].weights()[i];
                    float[] v = dequantized.values().get("model.layers." + l + "." + nf4.modules().get(i).path() + ".weight");
                    q.copyTo(0, v, 0, v.length);
                }
            }
            assertTrue(nf4.layers()[1] == null, "layers not kept are not loaded");
            Batch batch = Fixtures.stories(12, 9);
            TrainableModel a = new TrainableModel(nf4, kept, LORA, Precision.FLOAT64, false);
            TrainableModel b = new TrainableModel(dequantized.base(), kept, LORA, Precision.FLOAT64, false);
            Fixtures.randomiseB(a, 2, 0.1);
            Fixtures.randomiseB(b, 2, 0.1);
            assertEquals(b.lossAndGradients(batch, 4), a.lossAndGradients(batch, 4), 0);
            for (int i = 0; i < a.parameters().size(); i++) {
                assertArrayEquals(b.parameters().get(i).grad(), a.parameters().get(i).grad(), 0, a.parameters().get(i).name());
            }
            double dense = new TrainableModel(Base.dense(model), kept, LORA, Precision.FLOAT32, false).loss(batch);
            double quantized = new TrainableModel(nf4, kept, LORA, Precision.FLOAT32, false).loss(batch);
            System.out.printf("stories260K layers 0,2,4: loss %.4f dense, %.4f NF4%n", dense, quantized);
            assertEquals(dense, quantized, 0.15 * dense, "NF4 moves the loss of this 64-wide model by about 12%");
        }
    }

    /**
     * Checkpoints: one n x hidden float array per layer; one layer's internals in double, the same for
     * 16 layers as for 4: n (9 hidden + 4 qDim + 4 kvDim + 6 ffn + 4) + 7 n r values (input, its two
     * norms, mid residual, o and down outputs and their gradients, norm gradient; q, attention and their
     * gradients; k, v and theirs; gate, up, product and their gradients; two norms' mean and inverse RMS;
     * each adapter's u).
     */
    @Test
    void activationMemoryIsCheckpointsPlusOneLayer() {
        try (Model model = Model.load(Shared.model("stories-16L"))) {
            ModelConfig c = model.config();
            Batch batch = Fixtures.stories(24, 17);
            int n = batch.tokens(), h = c.hiddenSize();
            long layer = 8L * n * (9L * h + 4 * c.qDim() + 4 * c.kvDim() + 6 * c.intermediateSize() + 4) + 8L * 7 * n * LORA.rank();
            ActivationMemory all = null;
            for (int[] kept : new int[][]{Transformer.allLayers(16), {0, 5, 10, 15}}) {
                TrainableModel tm = new TrainableModel(Base.dense(model), kept, LORA, Precision.FLOAT32, false);
                tm.keepInternals(0);
                tm.lossAndGradients(batch, 0);
                ActivationMemory m = tm.lastMemory();
                assertEquals(4L * kept.length * n * h, m.checkpointBytes(), kept.length + " layers");
                assertEquals(layer, m.layerBytes(), kept.length + " layers");
                assertEquals(0, m.keptLayers());
                if (all == null) all = m;
            }
            System.out.printf("stories-16L, %d tokens, no internals kept: checkpoints %d KiB + one layer %d KiB = %d KiB%n",
                    n, all.checkpointBytes() / 1024, all.layerBytes() / 1024, all.total() / 1024);
        }
    }

    /**
     * Layers whose internals fit the budget skip their recomputation in backward: the loss and every gradient are the same
     * bits for a budget of none, some and all layers, and the kept layers are the last ones that fit (their forward arrays
     * only: n (6 hidden + 2 qDim + 2 kvDim + 3 ffn + 4) + 7 n r values, the gradients shared with the recomputed layers').
     */
    @Test
    void keptInternalsGiveTheSameBitsAsRecomputing() {
        try (Model model = Model.load(Shared.model("stories-16L"))) {
            ModelConfig c = model.config();
            Batch batch = Fixtures.stories(24, 17);
            int n = batch.tokens(), h = c.hiddenSize();
            long perLayer = 8L * n * (6L * h + 2 * c.qDim() + 2 * c.kvDim() + 3 * c.intermediateSize() + 4) + 8L * 7 * n * LORA.rank();
            double[] loss = new double[3];
            List<double[]> first = null;
            long[] budgets = {0, 5 * perLayer + perLayer / 2, 16 * perLayer};
            int[] keptLayers = {0, 5, 16};
            for (int i = 0; i < budgets.length; i++) {
                TrainableModel tm = new TrainableModel(Base.dense(model), Transformer.allLayers(16), LORA, Precision.FLOAT32, false);
                Fixtures.randomiseB(tm, 1, 0.1);
                tm.keepInternals(budgets[i]);
                loss[i] = tm.lossAndGradients(batch, 3);
                assertEquals(keptLayers[i], tm.lastMemory().keptLayers(), "budget " + budgets[i]);
                assertEquals(keptLayers[i] * perLayer, tm.lastMemory().keptBytes(), "budget " + budgets[i]);
                List<double[]> grads = tm.parameters().stream().map(p -> p.grad().clone()).toList();
                if (first == null) first = grads;
                for (int g = 0; g < grads.size(); g++) assertArrayEquals(first.get(g), grads.get(g), "budget " + budgets[i] + ", parameter " + g);
                assertEquals(loss[0], loss[i], 0, "budget " + budgets[i]);
            }
        }
    }

    @Test
    void dropoutMasksFollowTheKeyAndGradientsAccumulate() {
        try (Model model = Model.load(Shared.model("stories260K"))) {
            Batch batch = Fixtures.stories(10, 10);
            TrainableModel tm = new TrainableModel(Base.dense(model), new int[]{0, 1, 2, 3, 4}, LORA, Precision.FLOAT32, false);
            Fixtures.randomiseB(tm, 1, 0.1);
            Param a = tm.parameters().get(0);
            double first = tm.lossAndGradients(batch, 7);
            double[] once = a.grad().clone();
            assertEquals(first, tm.lossAndGradients(batch, 7), 0, "the same key drops the same elements");
            for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], a.grad()[i], 1e-12 * Math.abs(once[i]), "gradients add up");
            assertNotEquals(first, tm.loss(batch, 8), "another key, other masks");
            assertEquals(tm.loss(batch), tm.loss(batch), 0, "evaluation has no dropout");
            tm.zeroGradients();
            assertEquals(0, GradientClipping.globalNorm(tm.parameters()), 0);
        }
    }

    /** Adapters are named by position in the trained subset (the pruned model's layer index), only on the targets. */
    @Test
    void adaptersOnTargetsNamedByPrunedIndex() {
        try (Model model = Model.load(Shared.model("stories260K"))) {
            LoraConfig qv = new LoraConfig(8, 16, 0.05, List.of("q_proj", "v_proj"), 1);
            TrainableModel tm = new TrainableModel(Base.dense(model), new int[]{0, 1, 3, 4}, qv, Precision.FLOAT32, false);
            List<Param> ps = tm.parameters();
            assertEquals(4 * 2 * 2, ps.size());
            assertArrayEquals(new int[]{0, 1, 3, 4}, tm.layers());
            assertEquals("q_proj", tm.adapters().get(0).target().name());
            assertEquals("base_model.model.model.layers.2.self_attn.q_proj.lora_A.weight", ps.get(8).name());
            assertArrayEquals(new long[]{8, 64}, ps.get(8).shape());
            assertEquals("base_model.model.model.layers.2.self_attn.v_proj.lora_B.weight", ps.get(11).name());
            assertArrayEquals(new long[]{32, 8}, ps.get(11).shape());
            assertEquals(2.0, tm.adapters().get(0).scaling(), 0);
            Lora l = tm.adapters().get(0);
            double bound = 1 / Math.sqrt(64), max = 0;
            for (float v : l.a().value()) max = Math.max(max, Math.abs(v));
            assertTrue(max <= bound && max > 0.8 * bound, "A uniform in +-1/sqrt(in): max " + max);
            for (float v : l.b().value()) assertEquals(0, v, 0, "B starts at zero");
        }
    }

    /** A few AdamW steps on one batch lower its loss (the pieces fit together). */
    @Test
    void afewStepsLowerTheLoss() {
        try (Model model = Model.load(Shared.model("stories260K"))) {
            Batch batch = Fixtures.stories(24, 20);
            TrainableModel tm = new TrainableModel(Base.nf4(model, new int[]{0, 1, 3, 4}), new int[]{0, 1, 3, 4},
                    new LoraConfig(4, 8, 0, LoraConfig.ALL, 1), Precision.FLOAT32, false);
            AdamW adam = AdamW.withDefaults(0);
            Schedule schedule = new Schedule(1e-2, 2, 12, 0.1);
            double start = tm.loss(batch);
            for (int step = 0; step < 12; step++) {
                tm.zeroGradients();
                tm.lossAndGradients(batch, step);
                GradientClipping.clip(tm.parameters(), 1.0);
                adam.step(tm.parameters(), schedule.rate(step));
            }
            double end = tm.loss(batch);
            System.out.printf("stories260K without layer 2, NF4: loss %.4f -> %.4f after 12 steps%n", start, end);
            assertTrue(end < start - 0.05, start + " -> " + end);
        }
    }

    @Test
    void badInputsAreRefused() {
        try (Model model = Model.load(Shared.model("stories260K"))) {
            Base base = Base.dense(model);
            assertThrows(ShallowException.class, () -> new TrainableModel(base, new int[]{1, 1}, LORA, Precision.FLOAT32, false));
            assertThrows(ShallowException.class, () -> new TrainableModel(base, new int[]{5}, LORA, Precision.FLOAT32, false));
            assertThrows(ShallowException.class, () -> new TrainableModel(Base.nf4(model, new int[]{0}), new int[]{0, 1}, LORA,
                    Precision.FLOAT32, false));
            TrainableModel tm = new TrainableModel(base, new int[]{0}, LORA, Precision.FLOAT32, false);
            assertThrows(ShallowException.class, () -> tm.loss(Batch.nextToken(new int[][]{{1, 512}})));
            assertThrows(ShallowException.class, () -> tm.loss(new Batch(new int[][]{{1, 2}}, new int[][]{{3, -5}})));
            assertThrows(ShallowException.class, () -> tm.loss(Batch.nextToken(new int[][]{{1}})), "no target");
            assertThrows(ShallowException.class, () -> tm.loss(Batch.nextToken(new int[][]{new int[513]})), "longer than the context");
            assertThrows(IllegalArgumentException.class, () -> new Batch(new int[][]{{1, 2}}, new int[][]{{2}}));
        }
    }
}
