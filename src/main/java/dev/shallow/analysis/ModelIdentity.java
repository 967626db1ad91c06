package dev.shallow.analysis;

/**
 * Which model an analysis was computed on, so a plan or prune step can refuse an analysis of a
 * different model. {@code fingerprint}: sha256 over config.json and the safetensors headers.
 */
public record ModelIdentity(String path, String architecture, int numLayers, int hiddenSize, long parameters, String fingerprint) {
}
