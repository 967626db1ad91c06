package dev.shallow.model;

/**
 * The weights of one norm as the compute code applies them: {@code scale} multiplies the normalised vector
 * (for Gemma's (1 + w) norms it holds 1 + w, computed in float32 as transformers does), {@code bias} is added
 * after it (LayerNorm) or null.
 */
public record NormWeights(float[] scale, float[] bias) {
}
