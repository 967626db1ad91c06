package dev.shallow.heal;

import dev.shallow.Shared;
import dev.shallow.model.Model;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole training pass (FLOAT64: the training code with its products in double) against finite
 * differences of its own loss: LoRA A and B with B initialised non-zero and dropout on (one
 * fixed key, so the check also covers the recomputed layers drawing the forward pass's masks), and
 * a sample of base-weight gradients (test mode). For each tensor: its largest-gradient element and
 * random ones.
 * <p>
 * Tolerance: with h = 1e-6 (three-point rule on the steps the float parameters take) the
 * difference is off by O(h^2 |f'''|) ~ 1e-12 |f'''| plus rounding O(1e-16 |L| / h) ~ 1e-9;
 * measured up to 2.2e-9 absolute (h = 1e-5 gave 2.5e-5 on one A element of the random Qwen2,
 * shrinking as h^2: truncation, not a wrong gradient). The bound |fd - analytic| <= 1e-8 +
 * 1e-6 |analytic| is far below the size of the gradients (1e-3 to 2) that a wrong formula changes.
 */
class ModelGradientTest {
    static final double H = 1e-6;
    static final int SAMPLES = 2;

    @Test
    void stories260kLoraGradients() {
        try (Model model = Model.load(Shared.model("stories260K"))) {
            TrainableModel tm = new TrainableModel(Base.dense(model), new int[]{0, 1, 2, 3, 4},
                    new LoraConfig(4, 8, 0.1, LoraConfig.ALL, 5), Precision.FLOAT64, false);
            Fixtures.randomiseB(tm, 1, 0.2);
            Batch batch = Fixtures.stories(14, 9);
            Map<String, float[]> values = new LinkedHashMap<>();
            Map<String, double[]> grads = new LinkedHashMap<>();
            tm.lossAndGradients(batch, 77);
            for (Param p : tm.parameters()) {
                values.put(p.name(), p.value());
                grads.put(p.name(), p.grad().clone());
            }
            check("stories260K LoRA", values, grads, () -> tm.loss(batch, 77));
        }
    }

    @Test
    void stories260kBaseGradients() {
        try (Model model = Model.load(Shared.model("stories260K"))) {
            EditableBase eb = EditableBase.copy(model);
            TrainableModel tm = new TrainableModel(eb.base(), new int[]{0, 1, 2, 3, 4},
                    new LoraConfig(2, 4, 0, LoraConfig.ALL, 5), Precision.FLOAT64, true);
            Fixtures.randomiseB(tm, 2, 0.2);
            Batch batch = Fixtures.stories(12, 8);
            tm.lossAndGradients(batch, 0);
            check("stories260K base", eb.values(), copy(tm.baseGradients()), () -> tm.loss(batch));
        }
    }

    /**
     * Distillation on stories260K without layer 2 (the student runs layers 0, 1, 3, 4 of the teacher's model): the top-k KL at
     * T 2 mixed with cross-entropy and the hidden-state term at the cut (student after layer 1 vs teacher entering layer 3),
     * teacher targets from its float32 forward pass; LoRA gradients (dropout on, B random) against finite differences.
     */
    @Test
    void distillationGradientsWithTheHiddenTerm() {
        try (Model model = Model.load(Shared.model("stories260K"))) {
            TrainableModel tm = new TrainableModel(Base.dense(model), new int[]{0, 1, 3, 4},
                    new LoraConfig(4, 8, 0.1, LoraConfig.ALL, 5), Precision.FLOAT64, false);
            Fixtures.randomiseB(tm, 1, 0.2);
            Batch batch = Fixtures.stories(14, 9);
            Teacher teacher = new Teacher(model.dir(), "", model, new Transformer(model), new int[]{0, 1, 3, 4});
            Objective kd = teacher.objective(batch.inputs(), new KdOptions(16, 2, 0.7, 0.5));
            Objective noHidden = teacher.objective(batch.inputs(), new KdOptions(16, 2, 0.7, 0));
            assertTrue(tm.loss(batch, 77, kd) - tm.loss(batch, 77, noHidden) > 1e-3, "the hidden term adds to the loss");
            tm.lossAndGradients(batch, 77, kd);
            Map<String, float[]> values = new LinkedHashMap<>();
            Map<String, double[]> grads = new LinkedHashMap<>();
            for (Param p : tm.parameters()) {
                values.put(p.name(), p.value());
                grads.put(p.name(), p.grad().clone());
            }
            check("stories260K distillation", values, grads, () -> tm.loss(batch, 77, kd));
        }
    }

    /** Qwen2 layout: q/k/v biases, separate lm_head, BF16 weights (the LoRA check reads them as stored). */
    @Test
    void qwen2LoraAndBaseGradients() {
        Map<String, double[]> base = loraAndBaseGradients("tiny-qwen2-random", new int[]{0, 3, 7, 11}, Fixtures.stories(10, 7));
        assertTrue(base.containsKey("lm_head.weight") && base.containsKey("model.layers.3.self_attn.k_proj.bias"));
    }

    /**
     * Every family on a pruned subset mixing its layer kinds (Fixtures#families), sequences longer than the
     * windows: LoRA gradients with dropout (all-linear: Phi-3's adapters on the fused modules) and every base
     * tensor's gradient (norm scales and biases, q/k norms, post-norms, fused qkv_proj and gate_up_proj, biases,
     * head bias, embeddings through Gemma's scale).
     */
    @ParameterizedTest
    @MethodSource("dev.shallow.heal.Fixtures#families")
    void everyFamilyLoraAndBaseGradients(String name, int[] layers) {
        loraAndBaseGradients(name, layers, Fixtures.stories(13, 10));
    }

    /** LoRA gradients (dropout 0.2, B random) and base gradients of the model's layers on the batch; returns the base gradients. */
    static Map<String, double[]> loraAndBaseGradients(String name, int[] layers, Batch batch) {
        try (Model model = Model.load(Shared.model(name))) {
            TrainableModel dense = new TrainableModel(Base.dense(model), layers,
                    new LoraConfig(2, 16, 0.2, LoraConfig.ALL, 9), Precision.FLOAT64, false);
            Fixtures.randomiseB(dense, 3, 0.2);
            dense.lossAndGradients(batch, 5);
            Map<String, float[]> values = new LinkedHashMap<>();
            Map<String, double[]> grads = new LinkedHashMap<>();
            for (Param p : dense.parameters()) {
                values.put(p.name(), p.value());
                grads.put(p.name(), p.grad().clone());
            }
            check(name + " LoRA", values, grads, () -> dense.loss(batch, 5));

            EditableBase eb = EditableBase.copy(model);
            TrainableModel tm = new TrainableModel(eb.base(), layers, new LoraConfig(2, 16, 0, LoraConfig.ALL, 9), Precision.FLOAT64, true);
            Fixtures.randomiseB(tm, 3, 0.2);
            tm.lossAndGradients(batch, 0);
            Map<String, double[]> base = copy(tm.baseGradients());
            check(name + " base", eb.values(), base, () -> tm.loss(batch));
            return base;
        }
    }

    static Map<String, double[]> copy(Map<String, double[]> grads) {
        Map<String, double[]> c = new LinkedHashMap<>();
        grads.forEach((k, v) -> c.put(k, v.clone()));
        return c;
    }

    /** For every tensor with a gradient: its largest-gradient element and SAMPLES random ones. */
    static void check(String what, Map<String, float[]> values, Map<String, double[]> grads, DoubleSupplier loss) {
        SplittableRandom random = new SplittableRandom(13);
        double f0 = loss.getAsDouble(), worstAbs = 0, worstRel = 0, largest = 0;
        int checked = 0;
        for (Map.Entry<String, double[]> e : grads.entrySet()) {
            float[] v = values.get(e.getKey());
            double[] g = e.getValue();
            int top = 0;
            for (int i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[top])) top = i;
            for (int s = 0; s <= SAMPLES; s++) {
                int i = s == 0 ? top : random.nextInt(g.length);
                double fd = FiniteDifference.ofFloat(v, i, H, f0, loss), err = Math.abs(fd - g[i]);
                assertEquals(fd, g[i], 1e-8 + 1e-6 * Math.abs(g[i]), what + " " + e.getKey() + "[" + i + "]");
                worstAbs = Math.max(worstAbs, err);
                if (Math.abs(g[i]) > 1e-6) worstRel = Math.max(worstRel, err / Math.abs(g[i]));
                largest = Math.max(largest, Math.abs(g[i]));
                checked++;
            }
        }
        System.out.printf("%s: %d elements of %d tensors, max |analytic - fd| = %.1e, max relative (|g| > 1e-6) = %.1e, max |g| = %.2e%n",
                what, checked, grads.size(), worstAbs, worstRel, largest);
    }
}
