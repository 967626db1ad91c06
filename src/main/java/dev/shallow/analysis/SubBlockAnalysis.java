package dev.shallow.analysis;

import java.util.List;

/**
 * What {@code shallow analyse} measured below the layer.
 *
 * @param sizes             parameters of each sub-block (for strategies that remove equal parameters)
 * @param metrics           Block Influence and angular distance across each attention and MLP sub-block
 * @param attentionAblation [L]: calibration loss with layer l's attention removed; null when not computed
 * @param mlpAblation       [L]: calibration loss with layer l's MLP removed; null when not computed
 * @param heads             single-head ablation losses; null when not computed
 * @param greedy            BlockPruner's greedy removal of sub-blocks by calibration loss, in order; empty when not run
 * @param greedyLayers      the greedy removal went on while a sub-block fitted in this many layers' parameters (0: not run)
 */
public record SubBlockAnalysis(SubBlockSizes sizes, SubBlockMetrics metrics, double[] attentionAblation, double[] mlpAblation,
                               HeadAblation heads, List<SubBlockGreedy.Step> greedy, int greedyLayers) {
    public SubBlockAnalysis {
        greedy = List.copyOf(greedy);
    }

    /** The single sub-block ablation losses of {@code kind}, or null when not computed. */
    public double[] ablation(SubBlock.Kind kind) {
        return kind == SubBlock.Kind.ATTENTION ? attentionAblation : mlpAblation;
    }
}
