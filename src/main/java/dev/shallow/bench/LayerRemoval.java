package dev.shallow.bench;

import dev.shallow.ShallowException;
import dev.shallow.prune.LayerCount;
import dev.shallow.transformer.Transformer;

import java.math.BigDecimal;
import java.util.stream.IntStream;

/**
 * Layers the pruned-model benchmark removes: round(fraction x L) of the deepest layers except the last
 * (the block the papers' similarity criteria usually pick), e.g. 6 of 22 layers: 15-20.
 *
 * @param fraction as written ("0.25")
 */
public record LayerRemoval(String fraction, int numLayers, int[] removed) {

    /** The full model. */
    public static LayerRemoval none(int numLayers) {
        return new LayerRemoval("0", numLayers, new int[0]);
    }

    public static LayerRemoval deepestExceptLast(String fraction, int numLayers) {
        int n = LayerCount.round(new BigDecimal(fraction), numLayers);
        if (n < 1 || n > numLayers - 1) {
            throw new ShallowException("pruned: removing " + fraction + " of " + numLayers + " layers (" + n
                    + ") must remove at least one and keep the last");
        }
        return new LayerRemoval(fraction, numLayers, IntStream.range(numLayers - 1 - n, numLayers - 1).toArray());
    }

    /** The layers that stay, as {@link Transformer} runs them. */
    public int[] kept() {
        return Transformer.without(numLayers, removed);
    }

    /** The speed-up if time were proportional to the layers run: L / (L - removed). */
    public double idealSpeedup() {
        return (double) numLayers / (numLayers - removed.length);
    }

    /** "full", or the share of layers removed ("-25% layers"). */
    public String label() {
        return removed.length == 0 ? "full" : "-" + new BigDecimal(fraction).movePointRight(2).stripTrailingZeros().toPlainString() + "% layers";
    }

    /** "15-20" (a contiguous block), or "-" when nothing is removed. */
    public String removedRange() {
        return removed.length == 0 ? "-" : removed[0] + "-" + removed[removed.length - 1];
    }
}
