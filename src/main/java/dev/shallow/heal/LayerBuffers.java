package dev.shallow.heal;

import dev.shallow.model.ModelConfig;

/**
 * One layer's internals for n tokens: what its (re)computed forward pass keeps for its backward
 * pass, and the backward pass's own gradients. Allocated once per pass and reused by every layer,
 * so activation memory beyond the checkpoints is one layer's worth whatever the depth.
 */
final class LayerBuffers {
    // forward: input, attention block, MLP block
    final double[] x0, xn1, inv1, q, k, v, att, x1, xn2, inv2, gate, up, m;
    // backward
    final double[] dq, dk, dv, dAtt, dxn, dm, dGate, dUp;
    /** Per projection (by ordinal): u = drop(x) A^T [n, r] of its adapter, or null when it has none. */
    final double[][] u;

    LayerBuffers(int n, ModelConfig c, LoraConfig lora) {
        int h = c.hiddenSize(), qd = c.qDim(), kvd = c.kvDim(), f = c.intermediateSize();
        x0 = new double[n * h];
        xn1 = new double[n * h];
        inv1 = new double[n];
        q = new double[n * qd];
        k = new double[n * kvd];
        v = new double[n * kvd];
        att = new double[n * qd];
        x1 = new double[n * h];
        xn2 = new double[n * h];
        inv2 = new double[n];
        gate = new double[n * f];
        up = new double[n * f];
        m = new double[n * f];
        dq = new double[n * qd];
        dk = new double[n * kvd];
        dv = new double[n * kvd];
        dAtt = new double[n * qd];
        dxn = new double[n * h];
        dm = new double[n * f];
        dGate = new double[n * f];
        dUp = new double[n * f];
        u = new double[Projection.values().length][];
        for (Projection p : lora.targets()) u[p.ordinal()] = new double[n * lora.rank()];
    }

    /** Bytes held by all the buffers. */
    long bytes() {
        long values = 0;
        for (double[] a : new double[][]{x0, xn1, inv1, q, k, v, att, x1, xn2, inv2, gate, up, m, dq, dk, dv, dAtt, dxn, dm, dGate, dUp}) {
            values += a.length;
        }
        for (double[] a : u) values += a == null ? 0 : a.length;
        return values * Double.BYTES;
    }
}
