package dev.shallow.heal;

import dev.shallow.ShallowException;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.NormKind;
import dev.shallow.model.NormWeights;
import dev.shallow.model.RopeSpec;
import dev.shallow.model.family.TensorNames;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.shallow.heal.Projection.DOWN;
import static dev.shallow.heal.Projection.GATE;
import static dev.shallow.heal.Projection.K;
import static dev.shallow.heal.Projection.O;
import static dev.shallow.heal.Projection.Q;
import static dev.shallow.heal.Projection.UP;
import static dev.shallow.heal.Projection.V;

/**
 * A frozen (optionally pruned, optionally NF4) base model of any family with LoRA adapters on the family's
 * linear modules, trained by {@link #lossAndGradients}: forward over a batch of whole sequences (causal, no
 * cache), mean cross-entropy over the predicted tokens, backward to every adapter's A and B. The layer is
 * {@link dev.shallow.transformer.Transformer}'s, op for op: norms (RMS, (1 + w), LayerNorm), q/k norms,
 * per-layer RoPE (partial, scaled, longrope) or none, scaled and soft-capped attention with the layer's
 * window, post-norms, sequential or parallel block, gated or ungated MLP, biases, embedding scale, head bias
 * and final soft-cap.
 * <p>
 * Activation checkpointing: the forward pass keeps each layer's input residual, and the internals of the last
 * layers that fit a budget ({@link #keepInternals}); the backward pass recomputes each other layer from its input
 * and backpropagates through it, so activation memory is layers x tokens x hidden plus one layer's internals plus
 * the budget ({@link #lastMemory}).
 * <p>
 * Runs any strictly increasing subset of the base's layers (original indices), as
 * {@link dev.shallow.transformer.Transformer} does: a pruned model without writing a checkpoint.
 * Adapters are named by their position in that subset, i.e. by their index in the pruned model.
 * <p>
 * {@link Precision#FLOAT32} trains (products on Linear's float32 GEMM); {@link Precision#FLOAT64}
 * runs the same code with its products in double, for gradient checks. With {@code baseGradients}
 * (for gradient checks) it also computes the gradient of every base weight, norm and bias, by
 * Hugging Face tensor name ({@link #baseGradients}).
 */
public final class TrainableModel {
    /** Doubles of logits computed at once by the head (32 MiB). */
    private static final int HEAD_CHUNK = 1 << 22;
    /** Bytes of layer internals kept from the forward pass by default: a quarter of the heap. */
    public static final long DEFAULT_KEPT_BYTES = Runtime.getRuntime().maxMemory() / 4;

    private final Base base;
    private final ModelConfig c;
    private final int[] layers;
    private final LoraConfig lora;
    private final List<LinearModule> targets;
    private final Precision precision;
    private final LoraLinear[][] linears;
    private final List<Lora> adapters = new ArrayList<>();
    private final List<Param> params = new ArrayList<>();
    private final Map<String, double[]> baseGrads = new LinkedHashMap<>();
    private final double[] gradEmbed, gradHead, gradHeadBias;
    private final NormGradient gradFinalNorm;
    private final NormGradient[][] gradNorms;
    private ActivationMemory lastMemory;
    private long keptBytes = DEFAULT_KEPT_BYTES;
    /** The layer buffers of the last pass, reused by the next one of as many tokens (a training run's passes all are). */
    private Buffers buffers;

    /** One recomputed layer's buffers, and the kept layers' forward arrays (the last layer's first) as far as they were needed. */
    private record Buffers(LayerBuffers scratch, List<LayerBuffers> kept) {
        /** How many of the last layers keep their internals within the budget, their buffers allocated on first use. */
        int keep(long budget, int layers) {
            int keep = (int) Math.min(layers, budget / scratch.forwardBytes());
            while (kept.size() < keep) kept.add(new LayerBuffers(scratch));
            return keep;
        }
    }

    /** Gradients of a norm's scale and bias (null when it has none). */
    private record NormGradient(double[] scale, double[] bias) {
    }

    public TrainableModel(Base base, int[] layers, LoraConfig lora, Precision precision, boolean baseGradients) {
        this.base = base;
        this.c = base.config();
        this.lora = lora;
        this.precision = precision;
        this.targets = lora.modules(c.family(), base.modules());
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] < 0 || layers[i] >= c.numLayers() || (i > 0 && layers[i] <= layers[i - 1])) {
                throw new ShallowException("layers to train must be strictly increasing indices in [0, " + c.numLayers()
                        + "), got " + Arrays.toString(layers));
            }
            if (base.layers()[layers[i]] == null) throw new ShallowException("layer " + layers[i] + " is not loaded in the base model");
        }
        this.layers = layers.clone();
        TensorNames names = base.names();
        int h = c.hiddenSize(), vocab = c.vocabSize();
        gradEmbed = baseGradients ? grad(names.embed() + ".weight", vocab * h) : null;
        gradHead = !baseGradients ? null : base.tied() ? gradEmbed : grad(names.head() + ".weight", vocab * h);
        gradHeadBias = baseGradients && base.headBias() != null ? grad(names.head() + ".bias", vocab) : null;
        gradFinalNorm = baseGradients ? normGradient(names.finalNorm(), base.finalNorm()) : null;
        gradNorms = new NormGradient[layers.length][NormSite.values().length];
        linears = new LoraLinear[layers.length][];
        List<LinearModule> modules = base.modules();
        for (int p = 0; p < layers.length; p++) {
            int l = layers[p];
            FrozenLayer f = base.layers()[l];
            for (NormSite s : NormSite.values()) {
                if (baseGradients && s.present(c)) gradNorms[p][s.ordinal()] = normGradient(names.layerPrefix() + l + "." + s.path(names), f.norm(s));
            }
            linears[p] = new LoraLinear[modules.size()];
            for (int i = 0; i < modules.size(); i++) {
                LinearModule m = modules.get(i);
                Weight w = f.weights()[i];
                float[] bias = f.biases()[i];
                Lora adapter = null;
                if (targets.contains(m)) {
                    adapter = Lora.create(lora, names.layerPrefix(), p, i, m);
                    adapters.add(adapter);
                    params.add(adapter.a());
                    params.add(adapter.b());
                }
                linears[p][i] = new LoraLinear(w, bias, adapter,
                        baseGradients ? grad(names.layer(l, m.path(), "weight"), w.rows() * w.cols()) : null,
                        baseGradients && bias != null ? grad(names.layer(l, m.path(), "bias"), bias.length) : null);
            }
        }
    }

    private double[] grad(String name, int size) {
        double[] g = new double[size];
        baseGrads.put(name, g);
        return g;
    }

    private NormGradient normGradient(String prefix, NormWeights w) {
        return new NormGradient(grad(prefix + ".weight", w.scale().length), w.bias() == null ? null : grad(prefix + ".bias", w.bias().length));
    }

    /** The trainable parameters: A then B of each adapter, layer by layer in module order. */
    public List<Param> parameters() {
        return Collections.unmodifiableList(params);
    }

    public List<Lora> adapters() {
        return Collections.unmodifiableList(adapters);
    }

    /** The family's modules that carry an adapter, in layer order (PEFT's target_modules). */
    public List<LinearModule> targets() {
        return targets;
    }

    /** Gradients of the base weights by Hugging Face tensor name (live, accumulated); empty unless enabled. */
    public Map<String, double[]> baseGradients() {
        return Collections.unmodifiableMap(baseGrads);
    }

    public int[] layers() {
        return layers.clone();
    }

    /** Sets every gradient (parameters and base) to zero. */
    public void zeroGradients() {
        params.forEach(Param::zeroGrad);
        baseGrads.values().forEach(g -> Arrays.fill(g, 0));
    }

    /**
     * At most this many bytes of layer internals are kept from the forward pass for backward (the last layers' that fit);
     * the other layers are recomputed from their checkpoint. Results are the same bits for any budget; 0 recomputes all.
     */
    public void keepInternals(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("a budget of " + bytes + " bytes");
        keptBytes = bytes;
    }

    /** Activation memory of the last {@link #lossAndGradients} call, or null before the first. */
    public ActivationMemory lastMemory() {
        return lastMemory;
    }

    /**
     * Mean cross-entropy over the batch's targets with the adapters' dropout on (mask of pass
     * {@code dropoutKey}: the same key gives the same masks), and its gradient added to every
     * parameter's (and base) gradient.
     */
    public double lossAndGradients(Batch batch, long dropoutKey) {
        return lossAndGradients(batch, dropoutKey, Objective.NEXT_TOKEN);
    }

    /** The same for another objective: its head loss averaged over the batch's targets plus its stream loss. */
    public double lossAndGradients(Batch batch, long dropoutKey, Objective objective) {
        return run(batch, new Pass(precision, batch.tokens(), dropoutKey, true), true, objective);
    }

    /** Mean cross-entropy over the batch's targets, adapters applied without dropout; no gradients. */
    public double loss(Batch batch) {
        return run(batch, new Pass(precision, batch.tokens(), 0, false), false, Objective.NEXT_TOKEN);
    }

    /** The loss {@link #lossAndGradients} computes for this key (same dropout masks), without gradients: for gradient checks. */
    public double loss(Batch batch, long dropoutKey, Objective objective) {
        return run(batch, new Pass(precision, batch.tokens(), dropoutKey, true), false, objective);
    }

    /** The same for next-token cross-entropy. */
    public double loss(Batch batch, long dropoutKey) {
        return loss(batch, dropoutKey, Objective.NEXT_TOKEN);
    }

    private double run(Batch batch, Pass pass, boolean backward, Objective objective) {
        int n = pass.n(), h = c.hiddenSize(), longest = 0;
        for (int[] s : batch.inputs()) longest = Math.max(longest, s.length);
        if (longest > c.maxPositionEmbeddings()) {
            throw new ShallowException("sequence of " + longest + " tokens exceeds max_position_embeddings " + c.maxPositionEmbeddings());
        }
        int[] starts = batch.starts();
        Map<RopeSpec, Rotary> ropes = new HashMap<>();
        for (int l : layers) {
            RopeSpec spec = c.layerType(l).rope();
            if (spec != null && !ropes.containsKey(spec)) ropes.put(spec, new Rotary(spec, longest));
        }
        Rotary[] rope = new Rotary[layers.length];
        for (int p = 0; p < layers.length; p++) rope[p] = ropes.get(c.layerType(layers[p]).rope());
        if (buffers == null || buffers.scratch().n() != n) buffers = new Buffers(new LayerBuffers(n, c, base.modules(), targets, lora.rank()), new ArrayList<>());
        LayerBuffers scratch = buffers.scratch();
        double[] x = embed(batch, n);
        Checkpoints saved = backward ? new Checkpoints(precision, layers.length, n * h) : null;
        // the last layers whose internals fit the budget keep them for backward; the others are recomputed from their checkpoint
        int keep = backward ? buffers.keep(keptBytes, layers.length) : 0;
        LayerBuffers[] kept = new LayerBuffers[layers.length];
        long keptTotal = 0;
        double[][] streamGrads = new double[layers.length][];
        double streamLoss = 0;
        for (int p = 0; p < layers.length; p++) {
            if (saved != null) saved.save(p, x); // every layer's input is rounded as a checkpoint: the same bits whether kept or recomputed
            LayerBuffers buf = scratch;
            if (p >= layers.length - keep) {
                buf = kept[p] = buffers.kept().get(layers.length - 1 - p);
                keptTotal += buf.bytes();
            }
            System.arraycopy(x, 0, buf.x0, 0, n * h);
            layerForward(p, pass, buf, starts, rope[p], x);
            if (objective.stream().at(p)) {
                streamGrads[p] = backward ? new double[n * h] : null;
                streamLoss += objective.stream().lossAndGradient(p, x, streamGrads[p]);
            }
        }
        double[] dx = backward ? new double[n * h] : null;
        double loss = head(x, batch, n, dx, objective.head()) + streamLoss;
        if (saved == null) return loss;
        for (int p = layers.length - 1; p >= 0; p--) {
            if (streamGrads[p] != null) for (int i = 0; i < n * h; i++) dx[i] += streamGrads[p][i]; // the stream term's gradient at layer p's output
            LayerBuffers buf = kept[p];
            if (buf == null) {
                buf = scratch;
                saved.load(p, buf.x0);
                layerForward(p, pass, buf, starts, rope[p], x);
            }
            layerBackward(p, pass, buf, starts, rope[p], dx);
        }
        if (gradEmbed != null) {
            int t = 0;
            for (int[] s : batch.inputs()) {
                for (int id : s) {
                    for (int i = 0; i < h; i++) gradEmbed[id * h + i] += base.embedScale() * dx[t * h + i]; // dE[id] += scale dx0 of each occurrence
                    t++;
                }
            }
        }
        lastMemory = new ActivationMemory(saved.bytes(), scratch.bytes(), keep, keptTotal);
        return loss;
    }

    /** x = E[id] x the embedding scale, per token. */
    private double[] embed(Batch batch, int n) {
        int h = c.hiddenSize(), t = 0;
        double[] x = new double[n * h];
        float[] row = new float[h];
        double scale = base.embedScale();
        for (int b = 0; b < batch.inputs().length; b++) {
            for (int i = 0; i < batch.inputs()[b].length; i++, t++) {
                int id = batch.inputs()[b][i], target = batch.targets()[b][i];
                if (id < 0 || id >= c.vocabSize()) throw new ShallowException("token id " + id + " is outside the vocabulary (0.." + (c.vocabSize() - 1) + ")");
                if (target != Batch.IGNORE && (target < 0 || target >= c.vocabSize())) {
                    throw new ShallowException("target id " + target + " is outside the vocabulary (0.." + (c.vocabSize() - 1) + ")");
                }
                base.embed().copyTo((long) id * h, row, 0, h);
                for (int k = 0; k < h; k++) x[t * h + k] = row[k] * scale;
            }
        }
        return x;
    }

    /**
     * Layer p from buf.x0 to out, keeping its internals in buf: a = post(o(Attn(RoPE(qn(q)), RoPE(kn(k)), v))) over
     * xn1 = norm(x0); sequential: x1 = x0 + a, out = x1 + post(MLP(norm(x1))); parallel (Phi-2): out = x0 + a + MLP(xn1).
     */
    private void layerForward(int p, Pass pass, LayerBuffers b, int[] starts, Rotary rope, double[] out) {
        FrozenLayer f = base.layers()[layers[p]];
        int n = pass.n(), h = c.hiddenSize();
        norm(f, NormSite.ATTN, b.x0, n, b.xn1, b);
        forward(p, pass, b, b.xn1, Q, K, V);
        if (c.qkNorm()) { // per-head norm of q and k before RoPE
            norm(f, NormSite.Q, b.out(Q), n, b.q, b);
            norm(f, NormSite.K, b.out(K), n, b.k, b);
        }
        if (rope != null) rotate(b.q, b.k, starts, rope, false);
        CausalAttention.forward(b.q, b.k, b.out(V), b.att, starts, c, c.layerType(layers[p]).window());
        forward(p, pass, b, b.att, O);
        if (c.postNorms()) norm(f, NormSite.POST_ATTN, b.out(O), n, b.a, b);
        if (c.parallelBlock()) {
            mlpForward(p, f, pass, b, b.xn1);
            for (int i = 0; i < n * h; i++) out[i] = b.x0[i] + b.a[i] + b.mlpOut[i];
            return;
        }
        for (int i = 0; i < n * h; i++) b.x1[i] = b.x0[i] + b.a[i];
        norm(f, NormSite.FFN, b.x1, n, b.xn2, b);
        mlpForward(p, f, pass, b, b.xn2);
        for (int i = 0; i < n * h; i++) out[i] = b.x1[i] + b.mlpOut[i];
    }

    /** b.mlpOut = post(down(act(gate(x)) * up(x))), or post(down(act(up(x)))) for an ungated MLP. */
    private void mlpForward(int p, FrozenLayer f, Pass pass, LayerBuffers b, double[] x) {
        forward(p, pass, b, x, GATE, UP);
        boolean gated = c.gatedMlp();
        MlpActivation.forward(c.activation(), b.out(gated ? GATE : UP), gated ? b.out(UP) : null, b.hidden, pass.n() * c.intermediateSize());
        forward(p, pass, b, b.hidden, DOWN);
        if (c.postNorms()) norm(f, NormSite.POST_FFN, b.out(DOWN), pass.n(), b.mlpOut, b);
    }

    /** dx: dL/d(layer output) on entry, dL/d(layer input) on return; buf holds the layer's recomputed internals. */
    private void layerBackward(int p, Pass pass, LayerBuffers b, int[] starts, Rotary rope, double[] dx) {
        FrozenLayer f = base.layers()[layers[p]];
        int n = pass.n();
        Arrays.fill(b.dxn, 0);
        if (c.parallelBlock()) { // out = x0 + a + MLP(xn1): both branches add to dxn, one norm backward
            mlpBackward(p, f, pass, b, b.xn1, dx);
        } else { // out = x1 + MLP(norm(x1)): the residual passes dx through
            mlpBackward(p, f, pass, b, b.xn2, dx);
            normBackward(p, f, NormSite.FFN, b.x1, n, b.dxn, dx, b);
            Arrays.fill(b.dxn, 0);
        }
        attentionBackward(p, f, pass, b, starts, rope, dx);
        normBackward(p, f, NormSite.ATTN, b.x0, n, b.dxn, dx, b);
    }

    /** b.dxn += dL/dx through the MLP block on x, given dL/d(block output) dOut. */
    private void mlpBackward(int p, FrozenLayer f, Pass pass, LayerBuffers b, double[] x, double[] dOut) {
        int n = pass.n();
        outputGradient(p, f, NormSite.POST_FFN, DOWN, dOut, n, b);
        Arrays.fill(b.dHidden, 0);
        backward(p, pass, b, b.hidden, b.dHidden, DOWN);
        boolean gated = c.gatedMlp();
        MlpActivation.backward(c.activation(), b.out(gated ? GATE : UP), gated ? b.out(UP) : null, b.dHidden, b.grad(gated ? GATE : UP),
                gated ? b.grad(UP) : null, n * c.intermediateSize());
        backward(p, pass, b, x, b.dxn, GATE, UP);
    }

    /** b.dxn += dL/d xn1 through the attention block, given dL/d(block output) dOut. */
    private void attentionBackward(int p, FrozenLayer f, Pass pass, LayerBuffers b, int[] starts, Rotary rope, double[] dOut) {
        int n = pass.n();
        outputGradient(p, f, NormSite.POST_ATTN, O, dOut, n, b);
        Arrays.fill(b.dAtt, 0);
        backward(p, pass, b, b.att, b.dAtt, O);
        CausalAttention.backward(b.q, b.k, b.out(V), b.dAtt, b.dq, b.dk, b.grad(V), starts, c, c.layerType(layers[p]).window());
        if (rope != null) rotate(b.dq, b.dk, starts, rope, true);
        if (c.qkNorm()) {
            Arrays.fill(b.grad(Q), 0);
            Arrays.fill(b.grad(K), 0);
            normBackward(p, f, NormSite.Q, b.out(Q), n, b.dq, b.grad(Q), b);
            normBackward(p, f, NormSite.K, b.out(K), n, b.dk, b.grad(K), b);
        }
        backward(p, pass, b, b.xn1, b.dxn, Q, K, V);
    }

    /** dL/d(projection {@code part}'s output) into b.grad(part): dOut through the post-norm at {@code site} (Gemma), else dOut itself. */
    private void outputGradient(int p, FrozenLayer f, NormSite site, Projection part, double[] dOut, int n, LayerBuffers b) {
        if (!c.postNorms()) {
            System.arraycopy(dOut, 0, b.grad(part), 0, n * c.hiddenSize());
            return;
        }
        Arrays.fill(b.grad(part), 0);
        normBackward(p, f, site, b.out(part), n, dOut, b.grad(part), b);
    }

    /** y = the norm at {@code site} of x, for n tokens (q/k norms: per head), keeping its statistics in b. */
    private void norm(FrozenLayer f, NormSite site, double[] x, int n, double[] y, LayerBuffers b) {
        Norm.forward(x, site.rows(c, n), site.dim(c), f.norm(site), c.norm() == NormKind.LAYER, c.normEps(), y, b.mu(site), b.inv(site));
    }

    /** dx += dL/dx through the norm at {@code site} given dy; adds its base gradients in test mode. */
    private void normBackward(int p, FrozenLayer f, NormSite site, double[] x, int n, double[] dy, double[] dx, LayerBuffers b) {
        NormGradient g = gradNorms[p][site.ordinal()];
        Norm.backward(x, site.rows(c, n), site.dim(c), f.norm(site), c.norm() == NormKind.LAYER, b.mu(site), b.inv(site), dy, dx,
                g == null ? null : g.scale(), g == null ? null : g.bias());
    }

    /** Runs each linear module of layer p whose first part is one of {@code parts} on x; each part's rows go to b.out(part). */
    private void forward(int p, Pass pass, LayerBuffers b, double[] x, Projection... parts) {
        List<LinearModule> modules = base.modules();
        for (int i = 0; i < modules.size(); i++) {
            LinearModule m = modules.get(i);
            if (!List.of(parts).contains(m.parts().getFirst())) continue;
            boolean fused = m.parts().size() > 1;
            linears[p][i].forward(pass, x, fused ? b.fused : b.out(m.parts().getFirst()), b.u[i]);
            if (fused) split(m, pass.n(), b, false);
        }
    }

    /** dx += the gradient through each module of layer p whose first part is one of {@code parts} (input x, output gradients b.grad); adds its parameters' gradients. */
    private void backward(int p, Pass pass, LayerBuffers b, double[] x, double[] dx, Projection... parts) {
        List<LinearModule> modules = base.modules();
        for (int i = 0; i < modules.size(); i++) {
            LinearModule m = modules.get(i);
            if (!List.of(parts).contains(m.parts().getFirst())) continue;
            boolean fused = m.parts().size() > 1;
            if (fused) split(m, pass.n(), b, true);
            linears[p][i].backward(pass, x, fused ? b.fused : b.grad(m.parts().getFirst()), b.u[i], dx);
        }
    }

    /** A fused module's rows [n, out] in b.fused to its parts' outputs, or (gather) its parts' gradients into b.fused. */
    private void split(LinearModule m, int n, LayerBuffers b, boolean gather) {
        for (Projection part : m.parts()) {
            int off = m.offset(part, c), w = part.out(c);
            double[] rows = gather ? b.grad(part) : b.out(part);
            for (int t = 0; t < n; t++) {
                if (gather) System.arraycopy(rows, t * w, b.fused, t * m.out() + off, w);
                else System.arraycopy(b.fused, t * m.out() + off, rows, t * w, w);
            }
        }
    }

    /** RoPE on every token's query and key heads at its position in its sequence (transpose: the backward map). */
    private void rotate(double[] q, double[] k, int[] starts, Rotary rope, boolean transpose) {
        int d = c.headDim();
        for (int s = 0; s + 1 < starts.length; s++) {
            boolean longFactors = rope.isLong(starts[s + 1] - starts[s]);
            for (int row = starts[s]; row < starts[s + 1]; row++) {
                rope.rotate(q, row * c.qDim(), c.numHeads(), d, row - starts[s], longFactors, transpose);
                rope.rotate(k, row * c.kvDim(), c.numKvHeads(), d, row - starts[s], longFactors, transpose);
            }
        }
    }

    /**
     * Mean {@code tokenLoss} (cross-entropy, or distillation's) of the logits cap(head(norm(x)) + bias) over the target rows
     * (cap: the final soft-cap, when the model has one), logits computed a chunk of rows at a time; when dx is not null,
     * dL/dx into it (the frozen head only passes the gradient on).
     */
    private double head(double[] x, Batch batch, int n, double[] dx, TokenLoss tokenLoss) {
        int h = c.hiddenSize(), vocab = c.vocabSize();
        boolean centred = c.norm() == NormKind.LAYER;
        double[] xf = new double[n * h], mu = new double[n], inv = new double[n];
        Norm.forward(x, n, h, base.finalNorm(), centred, c.normEps(), xf, mu, inv);
        int[] rows = new int[n], targets = new int[n];
        int count = 0, t = 0;
        for (int[] seq : batch.targets()) {
            for (int target : seq) {
                if (target != Batch.IGNORE) {
                    rows[count] = t;
                    targets[count++] = target;
                }
                t++;
            }
        }
        if (count == 0) throw new ShallowException("the batch has no target tokens");
        int chunk = Math.max(1, Math.min(count, HEAD_CHUNK / vocab));
        double cap = c.finalSoftcap();
        float[] bias = base.headBias();
        double[] xc = new double[chunk * h], z = new double[chunk * vocab], dxc = new double[chunk * h];
        double[] slope = cap > 0 ? new double[chunk * vocab] : null;
        double[] dxf = dx == null ? null : new double[n * h];
        double loss = 0;
        for (int c0 = 0; c0 < count; c0 += chunk) {
            int m = Math.min(chunk, count - c0);
            for (int i = 0; i < m; i++) System.arraycopy(xf, rows[c0 + i] * h, xc, i * h, h);
            precision.project(xc, m, base.head(), z);
            for (int i = 0; i < m * vocab; i++) {
                if (bias != null) z[i] += bias[i % vocab]; // + lm_head bias (Phi-2)
                if (slope != null) slope[i] = SoftCap.slope(z[i] = SoftCap.apply(z[i], cap), cap); // Gemma 2's final soft-cap
            }
            for (int i = 0; i < m; i++) loss += tokenLoss.lossAndGradient(z, i * vocab, vocab, rows[c0 + i], targets[c0 + i], 1.0 / count);
            if (dxf == null) continue;
            if (slope != null) for (int i = 0; i < m * vocab; i++) z[i] *= slope[i]; // through the cap
            if (gradHeadBias != null) for (int i = 0; i < m * vocab; i++) gradHeadBias[i % vocab] += z[i];
            Arrays.fill(dxc, 0);
            precision.backprop(z, m, base.head(), dxc); // dxf = dz H
            for (int i = 0; i < m; i++) System.arraycopy(dxc, i * h, dxf, rows[c0 + i] * h, h);
            if (gradHead != null) precision.outer(z, xc, m, vocab, h, 1, gradHead); // dH += dz^T xf
        }
        if (dxf != null) {
            Norm.backward(x, n, h, base.finalNorm(), centred, mu, inv, dxf, dx, gradFinalNorm == null ? null : gradFinalNorm.scale(),
                    gradFinalNorm == null ? null : gradFinalNorm.bias());
        }
        return loss / count;
    }
}
