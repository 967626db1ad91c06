package dev.shallow.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shallow.Shared;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.tensor.Parallel;
import dev.shallow.transformer.MemoryBudget;
import dev.shallow.transformer.SubBlocks;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.shallow.analysis.MaskedReference.Mask;
import static dev.shallow.analysis.MaskedReference.Variant;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Head ablation, sub-block ablation, sub-block skipping and the sub-block metrics of stories260K (8 query heads in 4
 * key/value groups) on the 4 golden sequences, against the float64 reference run on weights the test masks: a head's
 * columns of o_proj zeroed, all of o_proj (no attention) or all of down_proj (no MLP).
 * <p>
 * Tolerances: losses within 2e-5 nats: the float32 logits are within ~1e-5 of the float64 reference's (GoldenForwardTest),
 * and the mean NLL over 116 predicted tokens moves by less; the measured worst is printed. The metrics within 1e-5 as
 * {@link GoldenMetricsTest}'s, for the same reason (smooth functions of normalised float32 streams within ~1e-6).
 */
class SubBlockReferenceTest {
    static final String NAME = "stories260K";
    static final double LOSS_TOL = 2e-5, METRIC_TOL = 1e-5;
    private final int threads = Parallel.threads();
    /** The reference, run once (one python process) on every variant the tests need, in the order of {@link #variants}. */
    private static JsonNode ref;
    private static int[][] seqs;
    /** Index in {@link #ref} of: the mixed skipping variant, then the streams runs (unmasked, then layer l's down_proj zeroed). */
    private static int mixed, streams;

    @BeforeAll
    static void runReference() throws Exception {
        seqs = GoldenSequences.of(NAME);
        try (Model model = Model.load(Shared.model(NAME))) {
            ref = MaskedReference.run(Shared.model(NAME), seqs, variants(model.config()));
        }
    }

    /**
     * Unmasked; per layer: no attention, no MLP, each head, each group; the mixed skipping case; the streams of the unmasked model
     * and of each layer's down_proj zeroed.
     */
    private static List<Variant> variants(ModelConfig c) {
        int layers = c.numLayers(), heads = c.numHeads(), groups = c.numKvHeads(), d = c.headDim(), perGroup = heads / groups;
        List<Variant> variants = new ArrayList<>();
        variants.add(new Variant(List.of(), null));
        for (int l = 0; l < layers; l++) {
            variants.add(new Variant(List.of(Mask.all(MaskedReference.attention(l, "o_proj"))), null));
            variants.add(new Variant(List.of(Mask.all(MaskedReference.mlp(l, "down_proj"))), null));
            for (int h = 0; h < heads; h++) variants.add(new Variant(List.of(new Mask(MaskedReference.attention(l, "o_proj"), h * d, (h + 1) * d)), null));
            for (int g = 0; g < groups; g++) {
                variants.add(new Variant(List.of(new Mask(MaskedReference.attention(l, "o_proj"), g * perGroup * d, (g + 1) * perGroup * d)), null));
            }
        }
        mixed = variants.size();
        variants.add(new Variant(List.of(Mask.all(MaskedReference.attention(1, "o_proj")), Mask.all(MaskedReference.mlp(3, "down_proj"))), new int[]{0, 1, 3, 4}));
        streams = variants.size();
        variants.add(new Variant(List.of(), null, true));
        for (int l = 0; l < layers; l++) variants.add(new Variant(List.of(Mask.all(MaskedReference.mlp(l, "down_proj"))), null, true));
        return variants;
    }

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(threads);
    }

    @Test
    void headAndSubBlockAblationMatchTheMaskedReference() {
        try (Model model = Model.load(Shared.model(NAME))) {
            ModelConfig c = model.config();
            int layers = c.numLayers(), heads = c.numHeads(), groups = c.numKvHeads();
            SingleSubBlockAblation got = SingleSubBlockAblation.measure(model, seqs, 3, true, Progress.NONE);
            double baseline = ref.get(0).get("loss").asDouble(), worst = 0, largestEffect = 0;
            int v = 1;
            for (int l = 0; l < layers; l++) {
                worst = Math.max(worst, check(ref.get(v++), got.attention()[l], "attention of layer " + l));
                worst = Math.max(worst, check(ref.get(v++), got.mlp()[l], "MLP of layer " + l));
                for (int h = 0; h < heads; h++) {
                    worst = Math.max(worst, check(ref.get(v++), got.heads().heads()[l][h], "head " + h + " of layer " + l));
                    largestEffect = Math.max(largestEffect, Math.abs(got.heads().heads()[l][h] - baseline));
                }
                for (int g = 0; g < groups; g++) worst = Math.max(worst, check(ref.get(v++), got.heads().groups()[l][g], "group " + g + " of layer " + l));
            }
            assertTrue(largestEffect > 100 * LOSS_TOL, "zeroing a head must change the loss measurably, largest change " + largestEffect);
            System.out.printf("head/sub-block ablation vs masked reference: max |d loss| %.2e (tolerance %.0e)%n", worst, LOSS_TOL);
        }
    }

    private static double check(JsonNode ref, double got, String what) {
        double want = ref.get("loss").asDouble();
        assertEquals(want, got, LOSS_TOL, what);
        return Math.abs(want - got);
    }

    /** Layer 2 removed whole, layer 1's attention and layer 3's MLP skipped at run time: the reference without layer 2 and with those projections zeroed. */
    @Test
    void subBlockSkippingMatchesTheMaskedReference() {
        try (Model model = Model.load(Shared.model(NAME))) {
            int layers = model.config().numLayers();
            Transformer tf = new Transformer(model, Transformer.without(layers, 2), SubBlocks.removing(layers, new int[]{1}, new int[]{3}));
            check(ref.get(mixed), CalibrationLoss.of(tf, seqs, 2, MemoryBudget.DEFAULT, Progress.NONE, "test"), "layer 2, attention 1, MLP 3 removed");
        }
    }

    /** BI and angular distance across each attention and MLP: the reference's streams, m_l from a run with layer l's down_proj zeroed. */
    @Test
    void subBlockMetricsMatchTheReferenceStreams() {
        try (Model model = Model.load(Shared.model(NAME))) {
            int layers = model.config().numLayers();
            SubBlockMetrics got = Analyser.run(model, seqs, AnalysisOptions.defaults(), null, Progress.NONE).subBlocks().metrics();
            double worst = 0;
            for (int l = 0; l < layers; l++) {
                JsonNode whole = ref.get(streams).get("streams"), noMlp = ref.get(streams + 1 + l).get("streams");
                double[] attention = across(whole, l, noMlp, l + 1);
                double[] mlp = across(noMlp, l + 1, whole, l + 1);
                double[][] pairs = {{attention[0], got.attentionInfluence()[l]}, {attention[1], got.attentionAngular()[l]},
                        {mlp[0], got.mlpInfluence()[l]}, {mlp[1], got.mlpAngular()[l]}};
                for (int i = 0; i < pairs.length; i++) {
                    assertEquals(pairs[i][0], pairs[i][1], METRIC_TOL, "layer " + l + " metric " + i);
                    worst = Math.max(worst, Math.abs(pairs[i][0] - pairs[i][1]));
                }
            }
            System.out.printf("sub-block metrics vs reference streams: max |d| %.2e (tolerance %.0e)%n", worst, METRIC_TOL);
        }
    }

    /**
     * {1 - mean over all tokens of cos(a, b), mean over sequences of the last token's arccos(cos) / pi} between point {@code pa} of
     * streams {@code a} and point {@code pb} of streams {@code b} (per sequence [point][token][hidden]).
     */
    private static double[] across(JsonNode a, int pa, JsonNode b, int pb) {
        double cosSum = 0, angleSum = 0;
        int tokens = 0;
        for (int s = 0; s < a.size(); s++) {
            JsonNode x = a.get(s).get(pa), y = b.get(s).get(pb);
            for (int t = 0; t < x.size(); t++) {
                double xy = 0, xx = 0, yy = 0;
                for (int i = 0; i < x.get(t).size(); i++) {
                    double u = x.get(t).get(i).asDouble(), w = y.get(t).get(i).asDouble();
                    xy += u * w;
                    xx += u * u;
                    yy += w * w;
                }
                double cos = xy / Math.sqrt(xx * yy);
                cosSum += cos;
                tokens++;
                if (t == x.size() - 1) angleSum += Math.acos(Math.clamp(cos, -1, 1)) / Math.PI;
            }
        }
        return new double[]{1 - cosSum / tokens, angleSum / a.size()};
    }

    /** Continuing from the shared prefix gives the bits of a whole forward of the variant, with 1 or 3 threads. */
    @Test
    void prefixReuseIsBitIdenticalToWholePassesForAnyThreadCount() {
        int[][] seqs = java.util.Arrays.copyOf(SubBlockReferenceTest.seqs, 2);
        try (Model model = Model.load(Shared.model(NAME))) {
            ModelConfig c = model.config();
            int layers = c.numLayers();
            double[][] first = null;
            for (int t : new int[]{1, 3}) {
                Parallel.setThreads(t);
                double[][] losses = PrefixAblation.of(Transformer.allLayers(layers), SubBlocks.none(layers),
                        l -> List.of(SubBlocks.zeroingHeads(c, l, 1), SubBlocks.removing(layers, new int[]{l}, new int[0])), 3)
                        .run(model, SampleRange.all(seqs), Progress.NONE).means();
                if (first == null) first = losses;
                else for (int l = 0; l < layers; l++) assertArrayEquals(first[l], losses[l], "layer " + l + " with " + t + " threads");
            }
            for (int l = 0; l < layers; l++) {
                double whole = CalibrationLoss.of(new Transformer(model, Transformer.allLayers(layers), SubBlocks.zeroingHeads(c, l, 1)), seqs, 3,
                        MemoryBudget.DEFAULT, Progress.NONE, "test");
                assertEquals(whole, first[l][0], 0.0, "head 1 of layer " + l);
            }
        }
    }

    /** The sub-blocks' parameters add up to the model's, less the embeddings and the final norm (stories260K ties its head). */
    @Test
    void subBlockSizesAddUpToTheModel() {
        try (Model model = Model.load(Shared.model(NAME))) {
            ModelConfig c = model.config();
            SubBlockSizes sizes = SubBlockSizes.of(model);
            assertEquals(model.parameterCount() - (long) c.vocabSize() * c.hiddenSize() - c.hiddenSize(), sizes.layers());
            long h = c.hiddenSize();
            assertEquals(h + h * c.qDim() + 2 * h * c.kvDim() + c.qDim() * h, sizes.attention()[0]); // norm, q, k, v, o
            assertEquals(h + 3 * h * c.intermediateSize(), sizes.mlp()[0]); // norm, gate, up, down
        }
    }
}
