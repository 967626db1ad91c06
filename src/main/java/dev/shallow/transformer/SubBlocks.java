package dev.shallow.transformer;

import dev.shallow.ShallowException;
import dev.shallow.model.ModelConfig;

import java.util.Arrays;

/**
 * What a forward pass leaves out below the layer: per layer (original index), whether its attention sub-block
 * and its MLP sub-block are removed, and which query heads' outputs are zeroed (their slice of o_proj's input,
 * ShortGPT's head ablation). A removed sub-block adds nothing to the residual stream (its norm, projections and
 * post-norm are not run, and a removed attention stores no keys or values). Whole layers are removed by
 * {@link Transformer}'s layer list instead.
 *
 * @param noAttention per layer: attention removed
 * @param noMlp       per layer: MLP removed
 * @param zeroHeads   per layer: the query heads whose output is zeroed (null or empty: none)
 */
public record SubBlocks(boolean[] noAttention, boolean[] noMlp, int[][] zeroHeads) implements java.io.Serializable {
    /** Nothing removed below the layer. */
    public static SubBlocks none(int layers) {
        return new SubBlocks(new boolean[layers], new boolean[layers], new int[layers][]);
    }

    /** Attention removed in {@code attention}, MLP removed in {@code mlp} (original layer indices). */
    public static SubBlocks removing(int layers, int[] attention, int[] mlp) {
        SubBlocks s = none(layers);
        for (int l : attention) s.noAttention[check(l, layers, "attention")] = true;
        for (int l : mlp) s.noMlp[check(l, layers, "MLP")] = true;
        return s;
    }

    /** Nothing removed but query heads {@code heads} of {@code layer} zeroed. */
    public static SubBlocks zeroingHeads(ModelConfig c, int layer, int... heads) {
        SubBlocks s = none(c.numLayers());
        check(layer, c.numLayers(), "head ablation");
        for (int h : heads) {
            if (h < 0 || h >= c.numHeads()) throw new ShallowException("head " + h + " does not exist (layer has " + c.numHeads() + " query heads)");
        }
        s.zeroHeads[layer] = heads.clone();
        return s;
    }

    private static int check(int l, int layers, String what) {
        if (l < 0 || l >= layers) throw new ShallowException(what + " of layer " + l + " does not exist (model has " + layers + " layers, 0.." + (layers - 1) + ")");
        return l;
    }

    public boolean runsAttention(int l) {
        return !noAttention[l];
    }

    public boolean runsMlp(int l) {
        return !noMlp[l];
    }

    /** The query heads of layer l whose output is zeroed (empty: none). */
    public int[] zeroedHeads(int l) {
        return zeroHeads[l] == null ? new int[0] : zeroHeads[l].clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SubBlocks s && Arrays.equals(noAttention, s.noAttention) && Arrays.equals(noMlp, s.noMlp)
                && Arrays.deepEquals(zeroHeads, s.zeroHeads);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(noAttention) * 31 * 31 + Arrays.hashCode(noMlp) * 31 + Arrays.deepHashCode(zeroHeads);
    }

    @Override
    public String toString() {
        return "SubBlocks[noAttention=" + Arrays.toString(noAttention) + ", noMlp=" + Arrays.toString(noMlp) + ", zeroHeads="
                + Arrays.deepToString(zeroHeads) + "]";
    }
}
