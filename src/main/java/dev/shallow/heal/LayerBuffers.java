package dev.shallow.heal;

import dev.shallow.model.ModelConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * One layer's internals for n tokens: what its forward pass keeps for its backward pass, and the
 * backward pass's own gradients. One set is reused by every layer recomputed in backward; a layer whose
 * internals are kept from the forward pass has its own forward arrays and shares the backward ones
 * ({@link #LayerBuffers(LayerBuffers)}). Arrays that a family's layer does not need are shared: without
 * q/k norms q is the projection's output itself, without post-norms the attention (MLP) output is the o
 * (down) projection's.
 */
final class LayerBuffers {
    private final List<double[]> all = new ArrayList<>();
    private final int n, rank;
    /** Bytes of the forward arrays: what a kept layer's own set holds. */
    private final long forwardBytes;
    private final ModelConfig c;
    private final List<LinearModule> modules, targets;
    // forward: input, attention block (q and k after their norms and RoPE), block outputs, MLP hidden
    final double[] x0, xn1, q, k, att, a, x1, xn2, hidden, mlpOut;
    // backward
    final double[] dq, dk, dAtt, dxn, dHidden;
    /** Output rows of a fused module before they are split into its parts (and their gradients gathered), or null. */
    final double[] fused;
    /** Per module (by index in the family's list): u = drop(x) A^T [n, r] of its adapter, or null when it has none. */
    final double[][] u;
    private final double[][] out = new double[Projection.values().length][], grad = new double[Projection.values().length][];
    private final double[][] mu = new double[NormSite.values().length][], inv = new double[NormSite.values().length][];

    LayerBuffers(int n, ModelConfig c, List<LinearModule> modules, List<LinearModule> targets, int rank) {
        this(n, c, modules, targets, rank, null);
    }

    /** A layer's own forward arrays, with the backward arrays of {@code scratch} (a layer's backward never outlives the next one's). */
    LayerBuffers(LayerBuffers scratch) {
        this(scratch.n, scratch.c, scratch.modules, scratch.targets, scratch.rank, scratch);
    }

    private LayerBuffers(int n, ModelConfig c, List<LinearModule> modules, List<LinearModule> targets, int rank, LayerBuffers scratch) {
        this.n = n;
        this.c = c;
        this.modules = modules;
        this.targets = targets;
        this.rank = rank;
        int h = c.hiddenSize(), f = c.intermediateSize();
        for (LinearModule m : modules) for (Projection p : m.parts()) out[p.ordinal()] = alloc(n * p.out(c));
        for (NormSite s : NormSite.values()) {
            if (!s.present(c)) continue;
            mu[s.ordinal()] = alloc(s.rows(c, n));
            inv[s.ordinal()] = alloc(s.rows(c, n));
        }
        x0 = alloc(n * h);
        xn1 = alloc(n * h);
        q = c.qkNorm() ? alloc(n * c.qDim()) : out(Projection.Q);
        k = c.qkNorm() ? alloc(n * c.kvDim()) : out(Projection.K);
        att = alloc(n * c.qDim());
        a = c.postNorms() ? alloc(n * h) : out(Projection.O);
        x1 = c.parallelBlock() ? null : alloc(n * h);
        xn2 = c.parallelBlock() ? null : alloc(n * h);
        hidden = alloc(n * f);
        mlpOut = c.postNorms() ? alloc(n * h) : out(Projection.DOWN);
        u = new double[modules.size()][];
        for (int i = 0; i < u.length; i++) if (targets.contains(modules.get(i))) u[i] = alloc(n * rank);
        forwardBytes = bytes();
        for (LinearModule m : modules) {
            for (Projection p : m.parts()) grad[p.ordinal()] = scratch != null ? scratch.grad[p.ordinal()] : alloc(n * p.out(c));
        }
        if (scratch != null) {
            dq = scratch.dq;
            dk = scratch.dk;
            dAtt = scratch.dAtt;
            dxn = scratch.dxn;
            dHidden = scratch.dHidden;
            fused = scratch.fused;
            return;
        }
        dq = c.qkNorm() ? alloc(n * c.qDim()) : grad(Projection.Q);
        dk = c.qkNorm() ? alloc(n * c.kvDim()) : grad(Projection.K);
        dAtt = alloc(n * c.qDim());
        dxn = alloc(n * h);
        dHidden = alloc(n * f);
        int widest = modules.stream().filter(m -> m.parts().size() > 1).mapToInt(LinearModule::out).max().orElse(0);
        fused = widest == 0 ? null : alloc(n * widest);
    }

    private double[] alloc(int size) {
        double[] a = new double[size];
        all.add(a);
        return a;
    }

    /** The rows a projection computes (a fused module's share of its output). */
    double[] out(Projection p) {
        return out[p.ordinal()];
    }

    /** dL/d{@link #out}. */
    double[] grad(Projection p) {
        return grad[p.ordinal()];
    }

    /** The mean each row of the norm at site s subtracted (0 for RMSNorm). */
    double[] mu(NormSite s) {
        return mu[s.ordinal()];
    }

    /** 1 / the standard deviation (RMS) of each row of the norm at site s. */
    double[] inv(NormSite s) {
        return inv[s.ordinal()];
    }

    /** The tokens these buffers hold. */
    int n() {
        return n;
    }

    /** Bytes a layer's own forward arrays take ({@link #LayerBuffers(LayerBuffers)}), known before any is allocated. */
    long forwardBytes() {
        return forwardBytes;
    }

    /** Bytes of the arrays this set allocated (an array shared within it once; the backward arrays only in the set that owns them). */
    long bytes() {
        return all.stream().mapToLong(a -> (long) a.length * Double.BYTES).sum();
    }
}
