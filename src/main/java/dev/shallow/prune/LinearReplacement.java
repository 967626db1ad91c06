package dev.shallow.prune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.model.LayerWeights;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.family.TensorNames;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Parallel;
import dev.shallow.tensor.Tensor;
import dev.shallow.transformer.KVCache;
import dev.shallow.transformer.Transformer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * ReplaceMe (Shopkhoev et al., 2025, "ReplaceMe: Network Simplification via Depth Pruning and Transformer Block
 * Linearization"): training-free healing of removed layers. For each cut (a run of removed layers first..last, after the kept
 * layer {@code layer} = first - 1), on the calibration tokens (all positions) with M = the MLP output of that layer, A = the
 * residual stream after its attention (so A + M is its output) and L = the residual stream after layer {@code last} of the
 * unpruned model, the map T (h x h) minimising ||A + M T - L||^2 + lambda ||T||^2 (the paper's least-squares objective
 * with its ridge term) is solved in float64 ({@link NormalEquations}) and folded into that layer's down projection (Phi-2: fc2):
 * W_down' = T^T W_down, b' = T^T b, so M' = M T and the pruned checkpoint keeps its shapes. Cuts are estimated in order of
 * depth, each on the pruned model with the earlier cuts' maps already folded in (its A and M), against the unpruned model's L,
 * so a later map also corrects what the earlier ones left.
 * The ridge is relative: lambda = ridge x trace(M^T M) / h, so one value means the same for any calibration size or scale.
 */
public final class LinearReplacement {
    public static final String METHOD = "linear";

    private final double ridge;
    private final JsonNode calibration;
    private final List<Fit> fits;

    /**
     * One cut's map and fit: T (row-major [h, h]); {@code lambda} the absolute ridge; {@code error} = ||A + M T - L||^2 / ||L - A||^2
     * and {@code errorWithoutMap} the same with T = I (the layers removed, nothing folded), over {@code tokens} tokens; the folded
     * down projection's weight and bias (null without one) in their stored dtypes, by their source names.
     */
    public record Fit(int layer, int first, int last, double[] map, double lambda, long tokens, double error, double errorWithoutMap,
                      String weightName, Tensor weight, String biasName, Tensor bias) {
        /** The removed layers first..last. */
        public int[] removed() {
            return IntStream.rangeClosed(first, last).toArray();
        }
    }

    private LinearReplacement(double ridge, JsonNode calibration, List<Fit> fits) {
        this.ridge = ridge;
        this.calibration = calibration;
        this.fits = List.copyOf(fits);
    }

    public List<Fit> fits() {
        return fits;
    }

    /**
     * Refuses in one line what {@link #estimate} cannot replace, before anything is computed (a sweep checks every planned point
     * first): a family whose MLP output is normed after down_proj (Gemma 2/3), sub-blocks, a cut at layer 0, a layer before a cut
     * without an MLP or with a quantized down projection.
     */
    public static void check(Model model, Removal removal) {
        ModelConfig c = model.config();
        if (c.postNorms()) {
            throw new ShallowException("--replace linear: " + c.family() + " norms the MLP output after down_proj (post_feedforward_layernorm), "
                    + "so a linear map of that output cannot be folded into down_proj");
        }
        if (removal.removesSubBlocks()) {
            throw new ShallowException("--replace linear replaces removed whole layers; the pruning removes (or the source lacks) attention / MLP sub-blocks");
        }
        for (Layers.Run run : Layers.runs(removal.layers())) {
            int layer = run.first() - 1;
            String what = "--replace linear, layers " + Layers.format(IntStream.rangeClosed(run.first(), run.last()).toArray());
            if (layer < 0) throw new ShallowException(what + ": the cut starts at layer 0, with no kept layer before it to fold a map into");
            LayerWeights w = model.layer(layer);
            if (w.wDown() == null) throw new ShallowException(what + ": layer " + layer + " before the cut has no MLP to fold a map into");
            if (!w.wDown().dtype().isFloatWeight()) {
                throw new ShallowException(what + ": layer " + layer + "'s down projection is " + w.wDown().dtype() + "; a folded map would be "
                        + "quantized again: use a float GGUF or the Hugging Face checkpoint");
            }
        }
    }

    /**
     * Estimates the maps for removing {@code removal}'s layers from {@code model} (a Hugging Face checkpoint or float GGUF) on the
     * calibration {@code sequences} ({@code calibration}: their description for the record), {@code batch} sequences per forward
     * pass. Refused in one line: sub-blocks, a cut at layer 0, a family whose MLP output is normed after down_proj (Gemma 2/3),
     * a kept layer without an MLP or with a quantized one, a negative ridge, a singular system with ridge 0.
     */
    public static LinearReplacement estimate(Model model, Removal removal, int[][] sequences, JsonNode calibration, double ridge, int batch) {
        if (!(ridge >= 0) || Double.isInfinite(ridge)) throw new ShallowException("--ridge must be a finite number >= 0, got " + ridge);
        check(model, removal);
        int h = model.config().hiddenSize();
        int[] kept = removal.kept();
        List<Fit> fits = new ArrayList<>();
        Model current = model;
        for (Layers.Run run : Layers.runs(removal.layers())) {
            int layer = run.first() - 1, last = run.last();
            String what = "--replace linear, layers " + Layers.format(IntStream.rangeClosed(run.first(), last).toArray());
            LayerWeights w = current.layer(layer);
            NormalEquations eq = new NormalEquations(h);
            Transformer full = new Transformer(model, IntStream.rangeClosed(0, last).toArray());
            Transformer pruned = new Transformer(current, Arrays.stream(kept).filter(l -> l <= layer).toArray());
            for (int from = 0; from < sequences.length; from += batch) {
                int[][] seqs = Arrays.copyOfRange(sequences, from, Math.min(sequences.length, from + batch));
                float[] target = run(full, seqs, -1, null).stream();
                float[][] am = new float[2][];
                Transformer.Pass p = run(pruned, seqs, layer, am);
                eq.add(am[1], target, am[0], p.tokens());
            }
            double lambda = ridge * eq.meanDiagonal();
            double[] t = eq.solve(lambda, what);
            TensorNames n = current.names();
            String weightName = n.layer(layer, n.down(), "weight"), biasName = n.layer(layer, n.down(), "bias");
            Tensor weight = folded(t, w.wDown(), h), bias = w.bDown() == null ? null : folded(t, current.weights().tensor(biasName), h);
            fits.add(new Fit(layer, run.first(), last, t, lambda, eq.tokens(), eq.relativeError(t), eq.identityRelativeError(),
                    weightName, weight, bias == null ? null : biasName, bias));
            current = current.withLayer(layer, w.withDown(weight, bias == null ? null : bias.toFloatArray()));
        }
        return new LinearReplacement(ridge, calibration, fits);
    }

    /**
     * Runs {@code seqs} through {@code tf}'s layers from empty caches; at layer {@code at}, copies the stream after attention into
     * am[0] and the MLP output into am[1]. Returns the pass (its stream: the output of the last layer).
     */
    private static Transformer.Pass run(Transformer tf, int[][] seqs, int at, float[][] am) {
        KVCache[] caches = new KVCache[seqs.length];
        for (int b = 0; b < seqs.length; b++) caches[b] = tf.newCache(seqs[b].length);
        Transformer.Pass p = tf.begin(seqs, caches, null);
        Transformer.Workspace ws = new Transformer.Workspace();
        for (int l : tf.layers()) {
            if (l != at) p.layer(l, ws);
            else p.layer(l, ws, (k, x, tokens, hidden) -> am[0] = Arrays.copyOf(x, tokens * hidden),
                    (k, x, tokens, hidden) -> am[1] = Arrays.copyOf(x, tokens * hidden));
        }
        return p;
    }

    /**
     * T^T X for a down projection's weight X [h, ffn] (or bias [h], as one column), in float64 then rounded to X's stored dtype:
     * (T^T X)[o, j] = sum_k T[k, o] X[k, j].
     */
    private static Tensor folded(double[] t, Tensor x, int h) {
        DType dtype = x.dtype();
        int cols = Math.toIntExact(x.size() / h);
        float[] in = x.toFloatArray();
        MemorySegment out = Arena.ofAuto().allocate(dtype.byteSize(x.size()), 64);
        Parallel.forEach(h, o -> {
            double[] row = new double[cols];
            for (int k = 0; k < h; k++) {
                double tko = t[k * h + o];
                for (int j = 0; j < cols; j++) row[j] += tko * in[k * cols + j];
            }
            float[] f = new float[cols];
            for (int j = 0; j < cols; j++) f[j] = (float) row[j];
            dtype.encode(f, 0, cols, out, dtype.byteSize((long) o * cols));
        });
        return Tensor.of(dtype, out, x.shape());
    }

    /** The folded tensors by source name, to write in place of the stored ones. */
    public Map<String, Tensor> tensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Fit f : fits) {
            out.put(f.weightName(), f.weight());
            if (f.bias() != null) out.put(f.biasName(), f.bias());
        }
        return out;
    }

    /** The record of the replacement (shallow_pruning.json's "replacement"): method, ridge, calibration, and each cut's fit. */
    public ObjectNode toJson(int[] kept) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("method", METHOD);
        o.put("objective", "least squares ||A + M T - L||^2 + lambda ||T||^2 (ReplaceMe), T folded into down_proj: W' = T^T W, b' = T^T b");
        o.put("ridge", ridge);
        o.set("calibration", calibration);
        ArrayNode cuts = o.putArray("cuts");
        for (Fit f : fits) {
            ObjectNode cut = cuts.addObject();
            cut.set("removed", Plan.ints(f.removed()));
            cut.put("folded_into_layer", f.layer());
            cut.put("folded_into_pruned_layer", Arrays.binarySearch(kept, f.layer()));
            cut.put("tensor", f.weightName());
            cut.put("lambda", f.lambda());
            cut.put("tokens", f.tokens());
            cut.put("relative_error", f.error());
            cut.put("relative_error_without_map", f.errorWithoutMap());
        }
        return o;
    }
}
