package dev.shallow.model;

/** The normalisation a family uses, for every norm of the model (layer, q/k and final). */
public enum NormKind {
    /** Llama: y = x / sqrt(mean(x^2) + eps) * w. */
    RMS,
    /** Gemma: y = x / sqrt(mean(x^2) + eps) * (1 + w); the loader stores 1 + w as the scale. */
    RMS_PLUS_ONE,
    /** Phi-2: y = (x - mean) / sqrt(var + eps) * w + b (biased variance). */
    LAYER
}
