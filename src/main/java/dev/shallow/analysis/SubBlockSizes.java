package dev.shallow.analysis;

import dev.shallow.model.LayerWeights;
import dev.shallow.model.Model;
import dev.shallow.model.NormWeights;
import dev.shallow.tensor.Tensor;

/**
 * Parameters of each layer's sub-blocks, counted from the checkpoint's tensors: attention = its input norm, q/k/v/o
 * (and biases), q/k norms and post-norm; MLP = its norm, gate/up/down (and biases) and post-norm. A layer is exactly
 * its two sub-blocks (Phi-2's one shared norm is counted with the attention).
 *
 * @param attention per layer
 * @param mlp       per layer
 */
public record SubBlockSizes(long[] attention, long[] mlp) {
    public static SubBlockSizes of(Model model) {
        int layers = model.config().numLayers();
        long[] attention = new long[layers], mlp = new long[layers];
        for (int l = 0; l < layers; l++) {
            LayerWeights w = model.layer(l);
            attention[l] = norms(w.attnNorm(), w.qNorm(), w.kNorm(), w.postAttnNorm()) + tensors(w.wq(), w.wk(), w.wv(), w.wo())
                    + vectors(w.bq(), w.bk(), w.bv(), w.bo());
            mlp[l] = norms(w.ffnNorm(), w.postFfnNorm()) + tensors(w.wGate(), w.wUp(), w.wDown()) + vectors(w.bGate(), w.bUp(), w.bDown());
        }
        return new SubBlockSizes(attention, mlp);
    }

    /** Parameters of {@code b}. */
    public long of(SubBlock b) {
        return b.kind() == SubBlock.Kind.ATTENTION ? attention[b.layer()] : mlp[b.layer()];
    }

    /** Parameters of layer {@code l}: both sub-blocks. */
    public long layer(int l) {
        return attention[l] + mlp[l];
    }

    /** Parameters of all layers (embeddings, final norm and head not included). */
    public long layers() {
        long n = 0;
        for (int l = 0; l < attention.length; l++) n += layer(l);
        return n;
    }

    /** Parameters removed with whole layers {@code layers}, attention of {@code attention} and MLP of {@code mlp} (disjoint). */
    public long removed(int[] layers, int[] attention, int[] mlp) {
        long n = 0;
        for (int l : layers) n += layer(l);
        for (int l : attention) n += this.attention[l];
        for (int l : mlp) n += this.mlp[l];
        return n;
    }

    private static long norms(NormWeights... norms) {
        long n = 0;
        for (NormWeights w : norms) if (w != null) n += vectors(w.scale(), w.bias());
        return n;
    }

    private static long tensors(Tensor... ts) {
        long n = 0;
        for (Tensor t : ts) if (t != null) n += t.size();
        return n;
    }

    private static long vectors(float[]... vs) {
        long n = 0;
        for (float[] v : vs) if (v != null) n += v.length;
        return n;
    }
}
