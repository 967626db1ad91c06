package dev.shallow.prune;

import dev.shallow.model.AbsentSubBlocks;
import dev.shallow.transformer.SubBlocks;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * What a pruning removes from a model of {@code numLayers} layers (source indices, ascending): whole {@code layers}, and the
 * attention or the MLP sub-block of kept layers. A layer losing both sub-blocks is removed as a layer (the same model, and
 * smaller); a sub-block of a removed layer is not listed.
 */
public record Removal(int numLayers, int[] layers, int[] attention, int[] mlp) {
    public Removal {
        layers = layers.clone();
        attention = attention.clone();
        mlp = mlp.clone();
    }

    /** Whole layers only. */
    public static Removal layers(int numLayers, int[] layers) {
        return new Removal(numLayers, Layers.checkRemovable(layers, numLayers), new int[0], new int[0]);
    }

    /**
     * Layers {@code layers} (may be empty), the attention of {@code attention} and the MLP of {@code mlp}, together with the
     * sub-blocks the source already lacks ({@code absent}: a pruned checkpoint's zeroed ones, a deci GGUF's missing ones);
     * checked as {@link Layers#checkRemovable} checks layers (one layer always stays).
     */
    public static Removal of(int numLayers, int[] layers, int[] attention, int[] mlp, AbsentSubBlocks absent) {
        SubBlocks parts = SubBlocks.removing(numLayers, attention, mlp);
        boolean[] whole = new boolean[numLayers];
        for (int l : layers) whole[l] = true;
        for (int l = 0; l < numLayers; l++) {
            parts.noAttention()[l] |= absent.attention()[l];
            parts.noMlp()[l] |= absent.mlp()[l];
            whole[l] |= parts.noAttention()[l] && parts.noMlp()[l];
        }
        int[] removed = IntStream.range(0, numLayers).filter(l -> whole[l]).toArray();
        if (removed.length > 0) Layers.checkRemovable(removed, numLayers);
        return new Removal(numLayers, removed,
                IntStream.range(0, numLayers).filter(l -> !whole[l] && parts.noAttention()[l]).toArray(),
                IntStream.range(0, numLayers).filter(l -> !whole[l] && parts.noMlp()[l]).toArray());
    }

    /** The kept layers, ascending: kept[new] = old. */
    public int[] kept() {
        return IntStream.range(0, numLayers).filter(l -> Arrays.binarySearch(layers, l) < 0).toArray();
    }

    /** True when a kept layer loses a sub-block. */
    public boolean removesSubBlocks() {
        return attention.length + mlp.length > 0;
    }

    /** The sub-blocks removed from kept layers, over the source's layers (what a forward pass of the source skips). */
    public SubBlocks subBlocks() {
        return SubBlocks.removing(numLayers, attention, mlp);
    }

    /** The sub-blocks absent from the pruned model, per layer of it. */
    public AbsentSubBlocks absentAfter() {
        AbsentSubBlocks all = AbsentSubBlocks.none(numLayers);
        for (int l : attention) all.attention()[l] = true;
        for (int l : mlp) all.mlp()[l] = true;
        return all.keep(kept());
    }

    /** "layers 3,5-7; attention of 9, MLP of 10" (each part only when not empty). */
    public String describe() {
        String whole = layers.length == 0 ? "" : "layers " + Layers.format(layers);
        String parts = describeSubBlocks();
        return whole.isEmpty() || parts.isEmpty() ? whole + parts : whole + "; " + parts;
    }

    /** "attention of 3,5, MLP of 7" (empty when no sub-block is removed). */
    public String describeSubBlocks() {
        String a = attention.length == 0 ? "" : "attention of " + Layers.format(attention);
        String m = mlp.length == 0 ? "" : "MLP of " + Layers.format(mlp);
        return a.isEmpty() || m.isEmpty() ? a + m : a + ", " + m;
    }
}
