package dev.shallow.analysis;

/**
 * The residual stream across each sub-block of each run layer i (x_i entering it, m_i = x_i + Attn(..) between the
 * sub-blocks, x_{i+1} leaving it), measured in the same pass as {@link LayerMetrics}. Block Influence across a
 * sub-block, 1 - cos(input, input + output), is also LLM-Drop's importance of that sub-block (He et al. 2024).
 *
 * @param attentionInfluence 1 - mean over all tokens of cos(x_i, m_i)
 * @param mlpInfluence       1 - mean over all tokens of cos(m_i, x_{i+1})
 * @param attentionAngular   mean of d(x_i, m_i) = arccos(cos) / pi over the angular tokens (last or all)
 * @param mlpAngular         mean of d(m_i, x_{i+1}) over the angular tokens
 */
public record SubBlockMetrics(double[] attentionInfluence, double[] mlpInfluence, double[] attentionAngular, double[] mlpAngular) {
    /** Block Influence of {@code kind}'s sub-blocks. */
    public double[] influence(SubBlock.Kind kind) {
        return kind == SubBlock.Kind.ATTENTION ? attentionInfluence : mlpInfluence;
    }
}
