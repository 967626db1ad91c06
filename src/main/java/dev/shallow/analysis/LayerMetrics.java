package dev.shallow.analysis;

/**
 * The per-layer statistics of one pass over K run layers (points 0..K: the streams entering each run
 * layer, then the output before the final norm).
 *
 * @param angularDistance   [K][K]: [i][n-1] = d(x_i, x_{i+n}) for i + n <= K, NaN elsewhere
 * @param blockInfluence    [K]: 1 - mean over tokens of cos(x_i, x_{i+1})
 * @param relativeMagnitude [K]: mean over tokens of ||x_{i+1} - x_i|| / ||x_{i+1}||
 * @param cka               [K+1][K+1] linear CKA between points, or null when not computed
 * @param subBlocks         the same stream quantities across each run layer's attention and MLP separately
 */
public record LayerMetrics(double[][] angularDistance, double[] blockInfluence, double[] relativeMagnitude, double[][] cka, SubBlockMetrics subBlocks) {
}
