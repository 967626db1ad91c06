package dev.shallow.model;

/**
 * What a decoder layer's attention looks like: {@code window} > 0 for sliding-window attention (a query sees
 * itself and the window - 1 keys before it, as transformers' masking_utils), 0 for full causal attention;
 * {@code rope} null for a NoPE layer (SmolLM3), else its rotary embedding (Gemma 3: local or global base).
 */
public record LayerType(int window, RopeSpec rope) {

    public boolean sliding() {
        return window > 0;
    }

    /** The name transformers writes in {@code layer_types}. */
    public String hfName() {
        return sliding() ? "sliding_attention" : "full_attention";
    }
}
