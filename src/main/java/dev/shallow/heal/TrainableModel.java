package dev.shallow.heal;

import dev.shallow.ShallowException;
import dev.shallow.model.ModelConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
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
 * A frozen (optionally pruned, optionally NF4) base model with LoRA adapters, trained by
 * {@link #lossAndGradients}: forward over a batch of whole sequences (causal, no cache), mean
 * cross-entropy over the predicted tokens, backward to every adapter's A and B.
 * <p>
 * Activation checkpointing: the forward pass keeps only each layer's input residual; the backward
 * pass recomputes one layer at a time from it and backpropagates through it, so activation memory
 * is layers x tokens x hidden plus one layer's internals ({@link #lastMemory}).
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

    private final Base base;
    private final ModelConfig c;
    private final int[] layers;
    private final LoraConfig lora;
    private final Precision precision;
    private final LoraLinear[][] linears;
    private final List<Lora> adapters = new ArrayList<>();
    private final List<Param> params = new ArrayList<>();
    private final Map<String, double[]> baseGrads = new LinkedHashMap<>();
    private final double[] gradEmbed, gradHead, gradFinalNorm;
    private final double[][] gradAttnNorm, gradFfnNorm;
    private ActivationMemory lastMemory;

    public TrainableModel(Base base, int[] layers, LoraConfig lora, Precision precision, boolean baseGradients) {
        this.base = base;
        this.c = base.config();
        this.lora = lora;
        this.precision = precision;
        List<String> unsupported = c.features().stream().filter(f -> !f.startsWith("sliding window")).toList();
        if (!unsupported.isEmpty()) {
            throw new ShallowException("healing supports the Llama layer (Llama, Mistral, Qwen2) so far; this " + c.family()
                    + " model has " + String.join(", ", unsupported));
        }
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] < 0 || layers[i] >= c.numLayers() || (i > 0 && layers[i] <= layers[i - 1])) {
                throw new ShallowException("layers to train must be strictly increasing indices in [0, " + c.numLayers()
                        + "), got " + Arrays.toString(layers));
            }
            if (base.layers()[layers[i]] == null) throw new ShallowException("layer " + layers[i] + " is not loaded in the base model");
        }
        this.layers = layers.clone();
        gradEmbed = baseGradients ? grad("model.embed_tokens.weight", c.vocabSize() * c.hiddenSize()) : null;
        gradHead = !baseGradients ? null : base.tied() ? gradEmbed : grad("lm_head.weight", c.vocabSize() * c.hiddenSize());
        gradFinalNorm = baseGradients ? grad("model.norm.weight", c.hiddenSize()) : null;
        gradAttnNorm = new double[layers.length][];
        gradFfnNorm = new double[layers.length][];
        linears = new LoraLinear[layers.length][];
        for (int p = 0; p < layers.length; p++) {
            String prefix = "model.layers." + layers[p] + ".";
            FrozenLayer f = base.layers()[layers[p]];
            if (baseGradients) {
                gradAttnNorm[p] = grad(prefix + "input_layernorm.weight", c.hiddenSize());
                gradFfnNorm[p] = grad(prefix + "post_attention_layernorm.weight", c.hiddenSize());
            }
            linears[p] = new LoraLinear[Projection.values().length];
            for (Projection j : Projection.values()) {
                Weight w = f.weight(j);
                float[] bias = f.bias(j);
                Lora adapter = null;
                if (lora.targets().contains(j)) {
                    adapter = Lora.create(lora, p, j, j.in(c), j.out(c));
                    adapters.add(adapter);
                    params.add(adapter.a());
                    params.add(adapter.b());
                }
                linears[p][j.ordinal()] = new LoraLinear(w, bias, adapter,
                        baseGradients ? grad(prefix + j.path + ".weight", w.rows() * w.cols()) : null,
                        baseGradients && bias != null ? grad(prefix + j.path + ".bias", bias.length) : null);
            }
        }
    }

    private double[] grad(String name, int size) {
        double[] g = new double[size];
        baseGrads.put(name, g);
        return g;
    }

    /** The trainable parameters: A then B of each adapter, layer by layer in projection order. */
    public List<Param> parameters() {
        return Collections.unmodifiableList(params);
    }

    public List<Lora> adapters() {
        return Collections.unmodifiableList(adapters);
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
        return run(batch, new Pass(precision, batch.tokens(), dropoutKey, true), true);
    }

    /** Mean cross-entropy over the batch's targets, adapters applied without dropout; no gradients. */
    public double loss(Batch batch) {
        return run(batch, new Pass(precision, batch.tokens(), 0, false), false);
    }

    /** The loss {@link #lossAndGradients} computes for this key (same dropout masks), without gradients: for gradient checks. */
    public double loss(Batch batch, long dropoutKey) {
        return run(batch, new Pass(precision, batch.tokens(), dropoutKey, true), false);
    }

    private double run(Batch batch, Pass pass, boolean backward) {
        int n = pass.n(), h = c.hiddenSize(), longest = 0;
        for (int[] s : batch.inputs()) longest = Math.max(longest, s.length);
        if (longest > c.maxPositionEmbeddings()) {
            throw new ShallowException("sequence of " + longest + " tokens exceeds max_position_embeddings " + c.maxPositionEmbeddings());
        }
        int window = c.layerTypes().stream().mapToInt(dev.shallow.model.LayerType::window).filter(w -> w > 0).min().orElse(0);
        if (window > 0 && longest > window) {
            throw new ShallowException("sequence of " + longest + " tokens is longer than sliding_window " + window
                    + ", which healing does not implement yet");
        }
        int[] starts = batch.starts();
        Rotary rope = new Rotary(c, longest);
        LayerBuffers buf = new LayerBuffers(n, c, lora);
        double[] x = embed(batch, n);
        Checkpoints saved = backward ? new Checkpoints(precision, layers.length, n * h) : null;
        for (int p = 0; p < layers.length; p++) {
            if (saved != null) saved.save(p, x);
            System.arraycopy(x, 0, buf.x0, 0, n * h);
            layerForward(p, pass, buf, starts, rope, x);
        }
        double[] dx = backward ? new double[n * h] : null;
        double loss = head(x, batch, n, dx);
        if (saved == null) return loss;
        for (int p = layers.length - 1; p >= 0; p--) {
            saved.load(p, buf.x0);
            layerForward(p, pass, buf, starts, rope, x);
            layerBackward(p, pass, buf, starts, rope, dx);
        }
        if (gradEmbed != null) {
            int t = 0;
            for (int[] s : batch.inputs()) {
                for (int id : s) {
                    for (int i = 0; i < h; i++) gradEmbed[id * h + i] += dx[t * h + i]; // dE[id] += dx0 of each occurrence
                    t++;
                }
            }
        }
        lastMemory = new ActivationMemory(saved.bytes(), buf.bytes());
        return loss;
    }

    private double[] embed(Batch batch, int n) {
        int h = c.hiddenSize(), t = 0;
        double[] x = new double[n * h];
        float[] row = new float[h];
        for (int b = 0; b < batch.inputs().length; b++) {
            for (int i = 0; i < batch.inputs()[b].length; i++, t++) {
                int id = batch.inputs()[b][i], target = batch.targets()[b][i];
                if (id < 0 || id >= c.vocabSize()) throw new ShallowException("token id " + id + " is outside the vocabulary (0.." + (c.vocabSize() - 1) + ")");
                if (target != Batch.IGNORE && (target < 0 || target >= c.vocabSize())) {
                    throw new ShallowException("target id " + target + " is outside the vocabulary (0.." + (c.vocabSize() - 1) + ")");
                }
                base.embed().copyTo((long) id * h, row, 0, h);
                for (int k = 0; k < h; k++) x[t * h + k] = row[k];
            }
        }
        return x;
    }

    /** Layer p from buf.x0 to out, keeping its internals in buf: x1 = x0 + Attn(RMSNorm(x0)); out = x1 + MLP(RMSNorm(x1)). */
    private void layerForward(int p, Pass pass, LayerBuffers b, int[] starts, Rotary rope, double[] out) {
        FrozenLayer f = base.layers()[layers[p]];
        int n = pass.n(), h = c.hiddenSize();
        Norm.forward(b.x0, n, h, f.attnNorm(), c.normEps(), b.xn1, b.inv1);
        forward(p, Q, pass, b, b.xn1, b.q);
        forward(p, K, pass, b, b.xn1, b.k);
        forward(p, V, pass, b, b.xn1, b.v);
        rotate(b.q, b.k, starts, rope, false);
        CausalAttention.forward(b.q, b.k, b.v, b.att, starts, c);
        forward(p, O, pass, b, b.att, b.x1);
        for (int i = 0; i < n * h; i++) b.x1[i] += b.x0[i];
        Norm.forward(b.x1, n, h, f.ffnNorm(), c.normEps(), b.xn2, b.inv2);
        forward(p, GATE, pass, b, b.xn2, b.gate);
        forward(p, UP, pass, b, b.xn2, b.up);
        SwiGlu.forward(b.gate, b.up, b.m, n * c.intermediateSize());
        forward(p, DOWN, pass, b, b.m, out);
        for (int i = 0; i < n * h; i++) out[i] += b.x1[i];
    }

    /** dx: dL/d(layer output) on entry, dL/d(layer input) on return; buf holds the layer's recomputed internals. */
    private void layerBackward(int p, Pass pass, LayerBuffers b, int[] starts, Rotary rope, double[] dx) {
        FrozenLayer f = base.layers()[layers[p]];
        int n = pass.n(), h = c.hiddenSize();
        // MLP block: out = x1 + down(silu(gate) * up), residual passes dx through
        Arrays.fill(b.dm, 0);
        backward(p, DOWN, pass, b, b.m, dx, b.dm);
        SwiGlu.backward(b.gate, b.up, b.dm, b.dGate, b.dUp, n * c.intermediateSize());
        Arrays.fill(b.dxn, 0);
        backward(p, GATE, pass, b, b.xn2, b.dGate, b.dxn);
        backward(p, UP, pass, b, b.xn2, b.dUp, b.dxn);
        Norm.backward(b.x1, n, h, f.ffnNorm(), b.inv2, b.dxn, dx, gradFfnNorm[p]);
        // attention block: x1 = x0 + o(Attn(RoPE(q), RoPE(k), v))
        Arrays.fill(b.dAtt, 0);
        backward(p, O, pass, b, b.att, dx, b.dAtt);
        CausalAttention.backward(b.q, b.k, b.v, b.dAtt, b.dq, b.dk, b.dv, starts, c);
        rotate(b.dq, b.dk, starts, rope, true);
        Arrays.fill(b.dxn, 0);
        backward(p, Q, pass, b, b.xn1, b.dq, b.dxn);
        backward(p, K, pass, b, b.xn1, b.dk, b.dxn);
        backward(p, V, pass, b, b.xn1, b.dv, b.dxn);
        Norm.backward(b.x0, n, h, f.attnNorm(), b.inv1, b.dxn, dx, gradAttnNorm[p]);
    }

    /** y = projection j of layer p applied to x, keeping its adapter's u in b. */
    private void forward(int p, Projection j, Pass pass, LayerBuffers b, double[] x, double[] y) {
        linears[p][j.ordinal()].forward(pass, x, y, b.u[j.ordinal()]);
    }

    /** dx += the gradient through projection j of layer p (input x, output gradient dy); adds its parameters' gradients. */
    private void backward(int p, Projection j, Pass pass, LayerBuffers b, double[] x, double[] dy, double[] dx) {
        linears[p][j.ordinal()].backward(pass, x, dy, b.u[j.ordinal()], dx);
    }

    /** RoPE on every token's query and key heads at its position in its sequence (inverse: the backward rotation). */
    private void rotate(double[] q, double[] k, int[] starts, Rotary rope, boolean inverse) {
        for (int s = 0; s + 1 < starts.length; s++) {
            for (int row = starts[s]; row < starts[s + 1]; row++) {
                rope.rotate(q, row * c.qDim(), c.numHeads(), row - starts[s], inverse);
                rope.rotate(k, row * c.kvDim(), c.numKvHeads(), row - starts[s], inverse);
            }
        }
    }

    /**
     * Mean cross-entropy of head(RMSNorm(x)) over the target rows, logits computed a chunk of rows
     * at a time; when dx is not null, dL/dx into it (the frozen head only passes the gradient on).
     */
    private double head(double[] x, Batch batch, int n, double[] dx) {
        int h = c.hiddenSize(), vocab = c.vocabSize();
        double[] xf = new double[n * h], inv = new double[n];
        Norm.forward(x, n, h, base.finalNorm(), c.normEps(), xf, inv);
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
        double[] xc = new double[chunk * h], z = new double[chunk * vocab], dxc = new double[chunk * h];
        double[] dxf = dx == null ? null : new double[n * h];
        double loss = 0;
        for (int c0 = 0; c0 < count; c0 += chunk) {
            int m = Math.min(chunk, count - c0);
            for (int i = 0; i < m; i++) System.arraycopy(xf, rows[c0 + i] * h, xc, i * h, h);
            precision.project(xc, m, base.head(), z);
            for (int i = 0; i < m; i++) loss += CrossEntropy.lossAndGradient(z, i * vocab, vocab, targets[c0 + i], 1.0 / count);
            if (dxf == null) continue;
            Arrays.fill(dxc, 0);
            precision.backprop(z, m, base.head(), dxc); // dxf = dz H
            for (int i = 0; i < m; i++) System.arraycopy(dxc, i * h, dxf, rows[c0 + i] * h, h);
            if (gradHead != null) precision.outer(z, xc, m, vocab, h, 1, gradHead); // dH += dz^T xf
        }
        if (dxf != null) Norm.backward(x, n, h, base.finalNorm(), inv, dxf, dx, gradFinalNorm);
        return loss / count;
    }
}
