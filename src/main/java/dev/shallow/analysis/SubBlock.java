package dev.shallow.analysis;

import dev.shallow.transformer.SubBlocks;

import java.util.Locale;

/** One sub-block of a decoder layer: its attention or its MLP (original layer index). */
public record SubBlock(Kind kind, int layer) {
    /** Which half of the layer. */
    public enum Kind {
        ATTENTION, MLP;

        /** The JSON and command-line name: attention, mlp. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Kind of(String label) {
            for (Kind k : values()) if (k.label().equals(label)) return k;
            throw new IllegalArgumentException("'" + label + "': must be attention or mlp");
        }
    }

    /** {@code parts} with this sub-block removed too (a copy). */
    public SubBlocks removedFrom(SubBlocks parts) {
        boolean[] attention = parts.noAttention().clone(), mlp = parts.noMlp().clone();
        (kind == Kind.ATTENTION ? attention : mlp)[layer] = true;
        return new SubBlocks(attention, mlp, parts.zeroHeads().clone());
    }

    /** "attention 3". */
    @Override
    public String toString() {
        return kind.label() + " " + layer;
    }
}
