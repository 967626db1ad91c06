package dev.shallow.transformer;

import dev.shallow.ShallowException;
import dev.shallow.model.Activation;
import dev.shallow.model.LayerType;
import dev.shallow.model.LayerWeights;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.NormKind;
import dev.shallow.model.NormWeights;
import dev.shallow.model.RopeSpec;
import dev.shallow.tensor.LayerNorm;
import dev.shallow.tensor.Linear;
import dev.shallow.tensor.Parallel;
import dev.shallow.tensor.RmsNorm;
import dev.shallow.tensor.Tensor;
import dev.shallow.tensor.VectorMath;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The decoder forward pass in float32 over the model's weights (any of F32/F16/BF16), for every family:
 * x = embed(ids) (x sqrt(hidden) for Gemma); for each layer x += Attn(norm(x)); x += MLP(norm(x)) (Gemma: each
 * output normed again before it is added; Phi-2: x += Attn(h) + MLP(h), h = LN(x)); logits = head(norm(x))
 * (+ bias, soft-capped). The layer's {@link LayerType} gives its window and RoPE (or none).
 * It can run any increasing subset of the layers (the others are skipped: the input of a removed
 * block feeds the next kept layer), leave out attention or MLP sub-blocks and zero attention heads ({@link SubBlocks};
 * a layer whose checkpoint has no o_proj or no down_proj runs without that sub-block), and lets a
 * {@link ResidualObserver} see the residual stream.
 */
public final class Transformer {
    private final Model model;
    private final ModelConfig c;
    private final int[] layers;
    private final SubBlocks parts;
    private final Map<RopeSpec, Rope> ropes = new HashMap<>();

    /** All layers. */
    public Transformer(Model model) {
        this(model, allLayers(model.config().numLayers()));
    }

    /** Only {@code layers} (original indices, strictly increasing), in that order. */
    public Transformer(Model model, int[] layers) {
        this(model, layers, SubBlocks.none(model.config().numLayers()));
    }

    /** Only {@code layers}, in that order, each without the sub-blocks and heads {@code parts} removes. */
    public Transformer(Model model, int[] layers, SubBlocks parts) {
        this.model = model;
        this.parts = parts;
        this.c = model.config();
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] < 0 || layers[i] >= c.numLayers() || (i > 0 && layers[i] <= layers[i - 1])) {
                throw new ShallowException("layers to run must be strictly increasing indices in [0, " + c.numLayers()
                        + "), got " + Arrays.toString(layers));
            }
        }
        this.layers = layers.clone();
        for (RopeSpec r : c.ropes()) ropes.put(r, new Rope(r));
    }

    public static int[] allLayers(int n) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        return all;
    }

    /** The layers of {@code n} that are not in {@code removed}. */
    public static int[] without(int n, int... removed) {
        boolean[] drop = new boolean[n];
        for (int r : removed) {
            if (r < 0 || r >= n) throw new ShallowException("layer " + r + " does not exist (model has " + n + " layers, 0.." + (n - 1) + ")");
            drop[r] = true;
        }
        return java.util.stream.IntStream.range(0, n).filter(i -> !drop[i]).toArray();
    }

    public Model model() {
        return model;
    }

    public int[] layers() {
        return layers.clone();
    }

    /** What this transformer leaves out below the layer. */
    public SubBlocks parts() {
        return parts;
    }

    /** Whether layer l runs its attention: not removed, and present in the checkpoint. */
    public boolean runsAttention(int l) {
        return parts.runsAttention(l) && model.layer(l).wo() != null;
    }

    /** Whether layer l runs its MLP: not removed, and present in the checkpoint. */
    public boolean runsMlp(int l) {
        return parts.runsMlp(l) && model.layer(l).wDown() != null;
    }

    public KVCache newCache(int capacity) {
        if (capacity > c.maxPositionEmbeddings()) {
            throw new ShallowException("context of " + capacity + " tokens exceeds max_position_embeddings " + c.maxPositionEmbeddings());
        }
        long bytes = cacheBytes(capacity), heap = Runtime.getRuntime().maxMemory();
        if (bytes > heap) { // estimated before allocating: a one-line error, not an out-of-memory error half-way through
            throw new ShallowException(String.format("a KV cache of %d positions over %d layers needs %.1f GiB, more than the %.1f GiB "
                    + "the JVM may use (raise it with SHALLOW_JVM_OPTS=-Xmx..., or use a shorter context)", capacity, layers.length,
                    bytes / 1073741824.0, heap / 1073741824.0));
        }
        return new KVCache(c, capacity);
    }

    /** Bytes of a KV cache of {@code capacity} positions once every layer this transformer runs has stored its keys and values. */
    public long cacheBytes(int capacity) {
        KVCache shape = new KVCache(c, capacity); // layers are allocated on first use: this holds no keys or values
        long bytes = 0;
        for (int l : layers) bytes += shape.bytes(l);
        return bytes;
    }

    /** Appends {@code ids} to one sequence; returns logits [T, vocab] (allLogits) or [1, vocab] of the last token. */
    public float[] forward(int[] ids, KVCache cache, boolean allLogits) {
        return forward(new int[][]{ids}, new KVCache[]{cache}, allLogits, null);
    }

    /**
     * Appends {@code seqs[b]} to {@code caches[b]} for every sequence of the batch, computing all their
     * tokens together. Returns the logits of every token of every sequence, in order (allLogits), or of
     * each sequence's last token ([B, vocab]).
     */
    public float[] forward(int[][] seqs, KVCache[] caches, boolean allLogits, ResidualObserver observer) {
        Pass pass = begin(seqs, caches, null);
        Workspace ws = new Workspace();
        for (int l : layers) {
            if (observer != null) observer.accept(l, pass.x, pass.tokens, c.hiddenSize());
            pass.layer(l, ws);
        }
        if (observer != null) observer.accept(c.numLayers(), pass.x, pass.tokens, c.hiddenSize());
        return pass.finish(allLogits);
    }

    /**
     * Starts a batch: seqs[b] will be appended to caches[b] at positions from {@code positions[b]} on
     * (null: each cache's length). The caller then runs {@link Pass#layer} for each of {@link #layers()}
     * in order and {@link Pass#finish} once; between layers a pass holds only its residual stream, so
     * many passes can advance layer by layer together ({@link LayerSchedule}).
     */
    public Pass begin(int[][] seqs, KVCache[] caches, int[] positions) {
        int h = c.hiddenSize(), n = 0;
        int[] start = new int[seqs.length + 1];
        int[] first = new int[seqs.length];
        for (int b = 0; b < seqs.length; b++) {
            first[b] = positions == null ? caches[b].length : positions[b];
            int len = seqs[b].length, end = first[b] + len;
            if (len == 0) throw new ShallowException("sequence " + b + " of the batch is empty");
            if (end > caches[b].capacity) {
                throw new ShallowException("input of " + end + " tokens is longer than the context (" + caches[b].capacity
                        + " tokens; max_position_embeddings " + c.maxPositionEmbeddings() + ")");
            }
            start[b + 1] = start[b] + len;
            n += len;
        }
        float[] x = new float[n * h];
        for (int b = 0; b < seqs.length; b++) {
            for (int t = 0; t < seqs[b].length; t++) {
                int id = seqs[b][t];
                if (id < 0 || id >= c.vocabSize()) throw new ShallowException("token id " + id + " is outside the vocabulary (0.." + (c.vocabSize() - 1) + ")");
                model.embed().copyTo((long) id * h, x, (start[b] + t) * h, h);
            }
        }
        float scale = model.embedScale();
        if (scale != 1f) for (int i = 0; i < n * h; i++) x[i] *= scale; // Gemma: E[id] x sqrt(hidden) in the embeddings' dtype
        return new Pass(seqs, caches, first, start, x);
    }

    /**
     * A pass of this transformer that continues {@code from} (a pass of a transformer of the same model) from a copy of its
     * stream, at the same positions, storing keys and values in {@code caches}: run the layers after those {@code from} ran,
     * with this transformer's sub-blocks (head ablation runs the prefix once and every variant of the next layer from it).
     */
    public Pass resume(Pass from, KVCache[] caches) {
        if (from.outer().model != model || caches.length != from.seqs.length) {
            throw new IllegalArgumentException("resume needs a pass of the same model and a cache per sequence");
        }
        return new Pass(from.seqs, caches, from.first, from.start, from.x.clone());
    }

    /** One batch on its way through the layers: its residual stream x [tokens, hidden] and where its tokens go in the caches. */
    public final class Pass {
        private final int[][] seqs;
        private final KVCache[] caches;
        private final int[] first;
        private final int[] start;
        private final float[] x;
        private final int tokens;

        private Pass(int[][] seqs, KVCache[] caches, int[] first, int[] start, float[] x) {
            this.seqs = seqs;
            this.caches = caches;
            this.first = first;
            this.start = start;
            this.x = x;
            this.tokens = start[seqs.length];
        }

        private Transformer outer() {
            return Transformer.this;
        }

        /** The residual stream entering the next layer (after the last one: the output before the final norm), [tokens, hidden]. */
        public float[] stream() {
            return x;
        }

        public int tokens() {
            return tokens;
        }

        /**
         * Runs layer {@code l} (original index) over the batch, x <- x + Attn(..) then x <- x + MLP(..); a residual stream
         * that leaves the float range (NaN or infinity) is an error naming the layer, never a NaN metric later.
         */
        public void layer(int l, Workspace ws) {
            layer(l, ws, null);
        }

        /** As {@link #layer(int, Workspace)}; {@code afterAttention} (if not null) sees x + Attn(..), before the MLP, with layer = l. */
        public void layer(int l, Workspace ws, ResidualObserver afterAttention) {
            layer(l, ws, afterAttention, null);
        }

        /**
         * As {@link #layer(int, Workspace, ResidualObserver)}; {@code mlpOutput} (if not null) sees the MLP's output as it is added to the
         * stream (after Gemma's post-norm; Phi-2: the MLP branch), with layer = l, when the layer runs its MLP.
         */
        public void layer(int l, Workspace ws, ResidualObserver afterAttention, ResidualObserver mlpOutput) {
            Transformer.this.layer(l, this, ws.ensure(tokens, c), afterAttention, mlpOutput);
            for (int i = 0; i < x.length; i++) {
                if (!Float.isFinite(x[i])) {
                    throw new ShallowException("layer " + l + " produced " + x[i] + " in the residual stream (token " + i / c.hiddenSize()
                            + " of the batch, dimension " + i % c.hiddenSize() + "): the model overflows float32 on this input");
                }
            }
        }

        /** Marks the tokens as appended to their caches; returns the logits as {@link #forward} does. */
        public float[] finish(boolean allLogits) {
            for (int b = 0; b < seqs.length; b++) caches[b].length = first[b] + seqs[b].length;
            return logits(x, seqs, start, allLogits);
        }
    }

    /** Scratch arrays of a layer's computation, grown to the largest batch that used them; reusable by any pass of the model. */
    public static final class Workspace {
        private Buffers buffers;
        private int capacity;

        Buffers ensure(int tokens, ModelConfig c) {
            if (tokens > capacity) {
                buffers = new Buffers(tokens, c);
                capacity = tokens;
            }
            return buffers;
        }

        /** Bytes of the arrays of {@link Buffers} for {@code tokens} tokens. */
        static long bytes(ModelConfig c, int tokens) {
            return 4L * tokens * (3L * c.hiddenSize() + 2L * c.qDim() + 2L * c.kvDim() + 2L * c.intermediateSize());
        }
    }

    /** Scratch arrays for {@code n} tokens. */
    private record Buffers(float[] xn, float[] q, float[] k, float[] v, float[] att, float[] out, float[] mlpOut, float[] gate, float[] up) {
        Buffers(int n, ModelConfig c) {
            this(new float[n * c.hiddenSize()], new float[n * c.qDim()], new float[n * c.kvDim()], new float[n * c.kvDim()],
                    new float[n * c.qDim()], new float[n * c.hiddenSize()], new float[n * c.hiddenSize()],
                    new float[n * c.intermediateSize()], new float[n * c.intermediateSize()]);
        }
    }

    private void layer(int l, Pass p, Buffers buf, ResidualObserver afterAttention, ResidualObserver mlpOutput) {
        float[] x = p.x;
        int n = p.tokens, h = c.hiddenSize();
        LayerWeights w = model.layer(l);
        boolean attention = runsAttention(l), mlp = runsMlp(l);
        if (attention) attention(l, p, buf);
        if (c.parallelBlock()) { // Phi-2: x + (attn(h) + mlp(h)), both from the same h = LN(x), added as transformers' PhiDecoderLayer does
            if (!attention) norm(w.attnNorm(), x, n, h, buf.xn());
            if (mlp) mlp(w, buf.xn(), n, buf);
            if (mlp && mlpOutput != null) mlpOutput.accept(l, buf.mlpOut(), n, h);
            if (afterAttention != null) {
                float[] mid = x.clone();
                if (attention) add(mid, buf.out(), n * h);
                afterAttention.accept(l, mid, n, h);
            }
            if (attention && mlp) for (int i = 0; i < n * h; i++) x[i] += buf.out()[i] + buf.mlpOut()[i];
            else if (attention) add(x, buf.out(), n * h);
            else if (mlp) add(x, buf.mlpOut(), n * h);
            return;
        }
        if (attention) add(x, buf.out(), n * h);
        if (afterAttention != null) afterAttention.accept(l, x, n, h);
        if (!mlp) return;
        // MLP block: x += mlp(norm(x)) (Gemma: post-normed)
        norm(w.ffnNorm(), x, n, h, buf.xn());
        mlp(w, buf.xn(), n, buf);
        if (c.postNorms()) norm(w.postFfnNorm(), buf.mlpOut(), n, h, buf.mlpOut());
        if (mlpOutput != null) mlpOutput.accept(l, buf.mlpOut(), n, h);
        add(x, buf.mlpOut(), n * h);
    }

    /** buf.out = o_proj(Attn(RoPE(qn(q)), RoPE(kn(k)), v)) over norm(x) (Gemma: post-normed), zeroed heads' slices of o_proj's input zero; buf.xn = norm(x). */
    private void attention(int l, Pass p, Buffers buf) {
        float[] x = p.x;
        int n = p.tokens;
        int[][] seqs = p.seqs;
        KVCache[] caches = p.caches;
        int[] start = p.start;
        LayerWeights w = model.layer(l);
        LayerType type = c.layerType(l);
        Rope rope = type.rope() == null ? null : ropes.get(type.rope());
        int h = c.hiddenSize(), kvDim = c.kvDim(), qDim = c.qDim(), d = c.headDim();
        norm(w.attnNorm(), x, n, h, buf.xn());
        Linear.apply(buf.xn(), n, new Tensor[]{w.wq(), w.wk(), w.wv()}, new float[][]{w.bq(), w.bk(), w.bv()},
                new float[][]{buf.q(), buf.k(), buf.v()});
        if (c.qkNorm()) { // per-head norm of q and k, one weight [head_dim] shared by the heads (Qwen3, Gemma 3, Phi-2)
            norm(w.qNorm(), buf.q(), n * c.numHeads(), d, buf.q());
            norm(w.kNorm(), buf.k(), n * c.numKvHeads(), d, buf.k());
        }
        int longest = 0, chunk = Integer.MAX_VALUE;
        for (int b = 0; b < seqs.length; b++) {
            longest = Math.max(longest, seqs[b].length);
            chunk = Math.min(chunk, caches[b].chunk(l));
            boolean longRope = rope != null && rope.isLong(p.first[b] + seqs[b].length);
            for (int t = 0; t < seqs[b].length; t++) {
                int row = start[b] + t, pos = p.first[b] + t;
                if (rope != null) {
                    rope.apply(buf.q(), row * qDim, c.numHeads(), d, pos, longRope);
                    rope.apply(buf.k(), row * kvDim, c.numKvHeads(), d, pos, longRope);
                }
            }
        }
        for (int t0 = 0; t0 < longest; t0 += chunk) { // a sliding layer's ring takes a chunk of new keys at a time
            for (int b = 0; b < seqs.length; b++) {
                for (int t = t0; t < Math.min(seqs[b].length, t0 + chunk); t++) caches[b].put(l, p.first[b] + t, buf.k(), buf.v(), (start[b] + t) * kvDim);
            }
            Attention.causal(buf.q(), buf.att(), seqs, caches, p.first, start, t0, (int) Math.min(longest, (long) t0 + chunk), l, c, type.window());
        }
        for (int head : parts.zeroedHeads(l)) { // head ablation: the head's slice of o_proj's input is zero
            for (int t = 0; t < n; t++) Arrays.fill(buf.att(), t * qDim + head * d, t * qDim + (head + 1) * d, 0f);
        }
        Linear.apply(buf.att(), n, w.wo(), w.bo(), buf.out());
        if (c.postNorms()) norm(w.postAttnNorm(), buf.out(), n, h, buf.out());
    }

    /** buf.mlpOut = down(act(gate(xn)) * up(xn)), or down(act(up(xn))) for an ungated MLP, biases where the family has them. */
    private void mlp(LayerWeights w, float[] xn, int n, Buffers buf) {
        int ffn = c.intermediateSize();
        if (c.gatedMlp()) {
            Linear.apply(xn, n, new Tensor[]{w.wGate(), w.wUp()}, new float[][]{w.bGate(), w.bUp()}, new float[][]{buf.gate(), buf.up()});
        } else {
            Linear.apply(xn, n, w.wUp(), w.bUp(), buf.gate());
        }
        float[] up = c.gatedMlp() ? buf.up() : null;
        boolean gelu = c.activation() == Activation.GELU_TANH;
        Parallel.forEach(n, r -> {
            if (gelu) VectorMath.geglu(buf.gate(), up, r * ffn, ffn);
            else if (up != null) VectorMath.swiglu(buf.gate(), up, r * ffn, ffn);
            else VectorMath.silu(buf.gate(), r * ffn, ffn);
        });
        Linear.apply(buf.gate(), n, w.wDown(), w.bDown(), buf.mlpOut());
    }

    /** out = the family's norm of each of the {@code rows} rows of x [rows, dim] (out may be x). */
    private void norm(NormWeights w, float[] x, int rows, int dim, float[] out) {
        if (c.norm() == NormKind.LAYER) LayerNorm.layernorm(x, rows, dim, w.scale(), w.bias(), c.normEps(), out);
        else RmsNorm.rmsnorm(x, rows, dim, w.scale(), c.normEps(), out);
    }

    private static void add(float[] x, float[] d, int n) {
        for (int i = 0; i < n; i++) x[i] += d[i];
    }

    private float[] logits(float[] x, int[][] seqs, int[] start, boolean all) {
        int h = c.hiddenSize(), rows;
        float[] sel;
        if (all) {
            rows = start[seqs.length];
            sel = x;
        } else {
            rows = seqs.length;
            sel = new float[rows * h];
            for (int b = 0; b < rows; b++) System.arraycopy(x, (start[b + 1] - 1) * h, sel, b * h, h);
        }
        float[] normed = new float[rows * h];
        norm(model.finalNorm(), sel, rows, h, normed);
        float[] logits = new float[rows * c.vocabSize()];
        Linear.apply(normed, rows, model.lmHead(), model.lmHeadBias(), logits);
        float cap = c.finalSoftcap();
        if (cap > 0) for (int i = 0; i < logits.length; i++) logits[i] = VectorMath.softcap(logits[i], cap); // Gemma 2
        return logits;
    }

}
