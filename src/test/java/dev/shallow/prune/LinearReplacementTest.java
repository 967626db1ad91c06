package dev.shallow.prune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.data.CalibrationOptions;
import dev.shallow.data.CalibrationSet;
import dev.shallow.model.AbsentSubBlocks;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.KVCache;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ReplaceMe ({@link LinearReplacement}) against what the test computes itself from the models' activations:
 * (1) each cut's map equals numpy's float64 SVD least-squares solution of the stacked ridge system on the same activations
 * (dumped here: M, A from the model the cut is estimated on, L from the unpruned model) within 1e-7 of the map's largest
 * element, and so do the two relative errors (1e-9); (2) the written checkpoint's residual stream after the folded layer equals
 * A + M T computed here in float64 within 1e-5 of its largest element (float32 rounding of the folded weights and of the
 * products, measured 2.2e-6 on stories-16L; F32 models), while the unfolded output A + M is far outside it; (3) the float64
 * reference (refllama.py / refarch.py) loads the written checkpoint and gives Shallow's logits within 1e-4, also for Qwen3, Phi-3,
 * SmolLM3 and Mistral; (4) refusals. Cases: stories-16L without 6-9 (Llama), Phi-2's parallel block with biases and
 * a ridge, and two cuts of the BF16 Qwen2, the second checked on activations of a checkpoint written with the first cut only.
 */
class LinearReplacementTest {
    @TempDir
    static Path tmp;

    record Case(String model, int[] removed, double ridge, LinearReplacement replacement, Path pruned) {
    }

    private static final List<Case> CASES = new ArrayList<>();
    /** The other families with a down projection to fold into, one cut each: checked by the reference and the fit. */
    private static final List<Case> FAMILIES = new ArrayList<>();
    private static int[][] calibration;

    @BeforeAll
    static void prune() {
        try (Model m = Model.load(Shared.model("stories-16L"))) {
            calibration = CalibrationSet.load(new CalibrationOptions("data/stories260K-train-64.jsonl", "text", 6, 64, true, true, false, 0),
                    Tokenizer.load(m.dir()), 512, null).sequences();
        }
        CASES.add(prune("stories-16L", new int[]{6, 7, 8, 9}, 0));
        CASES.add(prune("tiny-phi-random", new int[]{4, 5}, 1e-2));
        CASES.add(prune("tiny-qwen2-random", new int[]{3, 4, 8, 9}, 0));
        FAMILIES.add(prune("tiny-qwen3-random", new int[]{3, 4}, 0));
        FAMILIES.add(prune("tiny-phi3-random", new int[]{4, 5}, 0));
        FAMILIES.add(prune("tiny-smollm3-random", new int[]{5, 6}, 0));
        FAMILIES.add(prune("tiny-mistral-random", new int[]{4, 5}, 0));
    }

    private static Case prune(String model, int[] removed, double ridge) {
        Path dir = Shared.model(model), out = tmp.resolve(model + "-" + Layers.format(removed) + "-" + ridge);
        try (Model m = Model.load(dir)) {
            Removal removal = Removal.layers(m.config().numLayers(), removed);
            LinearReplacement r = LinearReplacement.estimate(m, removal, calibration, null, ridge, 2);
            Pruner.prune(dir, removal, PruningRecord.explicit(), r, out, false);
            return new Case(model, removed, ridge, r, out);
        }
    }

    /** M, A at {@code layer} of {@code layers} of {@code model}, all calibration sequences as one batch: [tokens, h] each. */
    private static float[][] mlpAndAttention(Model model, int[] layers, int layer) {
        Transformer tf = new Transformer(model, layers);
        KVCache[] caches = Arrays.stream(calibration).map(s -> tf.newCache(s.length)).toArray(KVCache[]::new);
        Transformer.Pass p = tf.begin(calibration, caches, null);
        Transformer.Workspace ws = new Transformer.Workspace();
        float[][] ma = new float[2][];
        for (int l : layers) {
            if (l != layer) p.layer(l, ws);
            else p.layer(l, ws, (k, x, n, h) -> ma[1] = Arrays.copyOf(x, n * h), (k, x, n, h) -> ma[0] = Arrays.copyOf(x, n * h));
        }
        return ma;
    }

    /** The residual stream entering layer {@code next} (numLayers: after the last) of {@code layers} of {@code model}. */
    private static float[] streamEntering(Model model, int[] layers, int next) {
        Transformer tf = new Transformer(model, layers);
        float[][] out = new float[1][];
        tf.forward(calibration, Arrays.stream(calibration).map(s -> tf.newCache(s.length)).toArray(KVCache[]::new), false,
                (l, x, n, h) -> { if (l == next) out[0] = Arrays.copyOf(x, n * h); });
        return out[0];
    }

    /** numpy's solution for M, A, L: T [h * h], then lambda, the error with T and with T = I. */
    private static double[] numpy(float[] m, float[] a, float[] l, int h, double ridge) throws Exception {
        Path dump = Files.createTempFile(tmp, "dump", ".f32"), out = Files.createTempFile(tmp, "t", ".f64");
        ByteBuffer b = ByteBuffer.allocate(4 * 3 * m.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] v : List.of(m, a, l)) for (float f : v) b.putFloat(f);
        Files.write(dump, b.array());
        Process p = new ProcessBuilder("/usr/bin/python3", Path.of(LinearReplacementTest.class.getResource("/prune/replaceme_lstsq.py").toURI()).toString(),
                dump.toString(), Integer.toString(m.length / h), Integer.toString(h), Double.toString(ridge), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), "replaceme_lstsq.py failed:\n" + log);
        ByteBuffer r = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
        double[] v = new double[h * h + 3];
        r.asDoubleBuffer().get(v);
        return v;
    }

    private static double maxAbs(double[] v) {
        return Arrays.stream(v).map(Math::abs).max().orElseThrow();
    }

    @Test
    void mapsEqualNumpyLeastSquaresOnTheSameActivations() throws Exception {
        for (Case c : CASES) {
            List<LinearReplacement.Fit> fits = c.replacement().fits();
            assertEquals(Layers.runs(c.removed()).size(), fits.size(), c.model());
            try (Model original = Model.load(Shared.model(c.model()))) {
                int layers = original.config().numLayers(), h = original.config().hiddenSize();
                for (int k = 0; k < fits.size(); k++) {
                    LinearReplacement.Fit f = fits.get(k);
                    float[] target = streamEntering(original, Transformer.allLayers(layers), f.last() + 1);
                    float[][] ma;
                    if (k == 0) {
                        ma = mlpAndAttention(original, IntStream.rangeClosed(0, f.layer()).toArray(), f.layer());
                    } else { // the model the cut is estimated on: the earlier cuts folded in, as a checkpoint written with them only
                        int[] earlier = IntStream.rangeClosed(fits.getFirst().first(), fits.get(k - 1).last())
                                .filter(l -> Arrays.binarySearch(c.removed(), l) >= 0).toArray();
                        Path first = tmp.resolve(c.model() + "-first-cuts");
                        Removal removal = Removal.layers(layers, earlier);
                        try (Model m = Model.load(Shared.model(c.model()))) {
                            Pruner.prune(Shared.model(c.model()), removal, PruningRecord.explicit(),
                                    LinearReplacement.estimate(m, removal, calibration, null, c.ridge(), 3), first, false);
                        }
                        try (Model p = Model.load(first)) {
                            int at = Arrays.binarySearch(removal.kept(), f.layer());
                            ma = mlpAndAttention(p, IntStream.rangeClosed(0, at).toArray(), at);
                        }
                    }
                    double[] ref = numpy(ma[0], ma[1], target, h, c.ridge());
                    double[] t = f.map(), refT = Arrays.copyOf(ref, h * h);
                    double diff = 0;
                    for (int i = 0; i < h * h; i++) diff = Math.max(diff, Math.abs(t[i] - refT[i]));
                    String what = c.model() + " cut " + f.first() + "-" + f.last();
                    assertTrue(diff <= 1e-7 * maxAbs(refT), what + ": max |T - T_numpy| " + diff + " of max " + maxAbs(refT));
                    assertEquals(ref[h * h], f.lambda(), 1e-9 * Math.max(ref[h * h], 1e-30), what + " lambda");
                    assertEquals(ref[h * h + 1], f.error(), 1e-9, what + " error");
                    assertEquals(ref[h * h + 2], f.errorWithoutMap(), 1e-9, what + " error without map");
                    assertTrue(f.error() < f.errorWithoutMap(), what + ": the map must explain more than removal alone");
                    assertEquals(calibration.length * 64L, f.tokens());
                }
            }
        }
    }

    @Test
    void foldedLayerOutputsAPlusMTimesT() {
        for (Case c : CASES.subList(0, 2)) { // F32 checkpoints: the folded weights are written without rounding to 16 bits
            LinearReplacement.Fit f = c.replacement().fits().getFirst();
            try (Model original = Model.load(Shared.model(c.model())); Model pruned = Model.load(c.pruned())) {
                int h = original.config().hiddenSize(), at = f.layer();
                float[][] ma = mlpAndAttention(original, IntStream.rangeClosed(0, at).toArray(), at);
                float[] folded = streamEntering(pruned, Transformer.allLayers(pruned.config().numLayers()), at + 1);
                double[] expected = new double[folded.length];
                double diff = 0, unfolded = 0; // unfolded: how far the layer's own output A + M is (what the test must tell apart)
                for (int t = 0; t < folded.length / h; t++) {
                    for (int o = 0; o < h; o++) {
                        double s = ma[1][t * h + o];
                        for (int k = 0; k < h; k++) s += (double) ma[0][t * h + k] * f.map()[k * h + o];
                        expected[t * h + o] = s;
                        diff = Math.max(diff, Math.abs(folded[t * h + o] - s));
                        unfolded = Math.max(unfolded, Math.abs((double) ma[1][t * h + o] + ma[0][t * h + o] - s));
                    }
                }
                double tol = 1e-5 * maxAbs(expected);
                assertTrue(diff <= tol, c.model() + ": max |Y' - (A + M T)| " + diff + " of max " + maxAbs(expected));
                assertTrue(unfolded > 100 * tol, c.model() + ": the map changes the output by only " + unfolded);
            }
        }
    }

    @Test
    void referenceLoadsTheFoldedCheckpoint() throws Exception {
        List<Case> all = new ArrayList<>(CASES);
        all.addAll(FAMILIES);
        RefScript reference = new RefScript("/prune/ref_pruned.py", tmp.resolve("ref.bin")); // per sequence: the folded checkpoint, then the original skipping
        for (Case c : all) {
            int[] kept = Layers.kept(c.removed(), ModelConfig.load(Shared.model(c.model())).numLayers());
            reference.args(Shared.model(c.model()).toAbsolutePath().toString(), c.pruned().toString(), String.join(",", Arrays.stream(kept).mapToObj(Integer::toString).toList()));
        }
        reference.run();
        for (Case c : all) {
            JsonNode seqs = new ObjectMapper().readTree(Shared.golden(c.model()).resolve("inputs.json").toFile()).get("sequences");
            double diff = 0;
            try (Model m = Model.load(c.pruned())) {
                Transformer tf = new Transformer(m);
                for (JsonNode seq : seqs) {
                    int[] ids = IntStream.range(0, seq.get("ids").size()).map(i -> seq.get("ids").get(i).asInt()).toArray();
                    float[] ours = tf.forward(ids, tf.newCache(ids.length), true), ref = reference.next(ours.length);
                    reference.next(ours.length); // the original with the layers skipped: not this test's concern
                    for (int i = 0; i < ref.length; i++) diff = Math.max(diff, Math.abs(ref[i] - ours[i]));
                }
            }
            assertTrue(diff <= 1e-4, c.model() + ": max |logits - reference| " + diff);
            for (LinearReplacement.Fit f : c.replacement().fits()) assertTrue(f.error() < f.errorWithoutMap(), c.model() + ": the map must explain more than removal alone");
        }
    }

    @Test
    void recordsTheReplacementAndChangesOnlyTheFoldedTensors() throws Exception {
        Case c = CASES.getFirst();
        JsonNode record = new ObjectMapper().readTree(c.pruned().resolve(Pruner.RECORD).toFile()).get("replacement");
        assertEquals("linear", record.get("method").asText());
        JsonNode cut = record.get("cuts").get(0);
        assertEquals(5, cut.get("folded_into_layer").asInt());
        assertEquals(c.replacement().fits().getFirst().error(), cut.get("relative_error").asDouble());
        int[] kept = Layers.kept(c.removed(), 16);
        Pattern layer = Pattern.compile("model\\.layers\\.(\\d+)\\.(.*)");
        try (Model src = Model.load(Shared.model(c.model())); Model out = Model.load(c.pruned())) {
            for (String name : out.weights().names()) {
                Matcher m = layer.matcher(name);
                String source = m.matches() ? "model.layers." + kept[Integer.parseInt(m.group(1))] + "." + m.group(2) : name;
                boolean same = out.weights().tensor(name).segment().mismatch(src.weights().tensor(source).segment()) == -1;
                assertEquals(!name.equals("model.layers.5.mlp.down_proj.weight"), same, name);
            }
        }
    }

    @Test
    void refusesWhatCannotBeFolded() {
        try (Model gemma = Model.load(Shared.model("tiny-gemma2-random")); Model llama = Model.load(Shared.model("stories-16L"))) {
            String e = assertThrows(ShallowException.class, () -> LinearReplacement.estimate(gemma, Removal.layers(10, new int[]{4}), calibration, null, 0, 2)).getMessage();
            assertTrue(e.contains("post_feedforward_layernorm") && e.contains("cannot be folded"), e);
            e = assertThrows(ShallowException.class, () -> LinearReplacement.estimate(llama, Removal.layers(16, new int[]{0, 1}), calibration, null, 0, 2)).getMessage();
            assertTrue(e.contains("layers 0-1") && e.contains("starts at layer 0"), e);
            Removal subBlocks = Removal.of(16, new int[]{8}, new int[0], new int[]{4}, AbsentSubBlocks.none(16));
            e = assertThrows(ShallowException.class, () -> LinearReplacement.estimate(llama, subBlocks, calibration, null, 0, 2)).getMessage();
            assertTrue(e.contains("sub-blocks"), e);
            e = assertThrows(ShallowException.class, () -> LinearReplacement.estimate(llama, Removal.layers(16, new int[]{8}), calibration, null, -1, 2)).getMessage();
            assertTrue(e.contains("--ridge"), e);
            int[][] few = {calibration[0]}; // 64 tokens for 128 unknowns per column: singular without a ridge
            e = assertThrows(ShallowException.class, () -> LinearReplacement.estimate(llama, Removal.layers(16, new int[]{8}), few, null, 0, 2)).getMessage();
            assertTrue(e.contains("layers 8") && e.contains("singular") && e.contains("--ridge"), e);
        }
    }
}
