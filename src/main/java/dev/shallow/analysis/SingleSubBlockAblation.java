package dev.shallow.analysis;

import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.transformer.SubBlocks;
import dev.shallow.transformer.Transformer;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The calibration loss with one part of one layer left out: its attention, its MLP (LLM-Drop, BlockPruner) and, when
 * asked, each attention head and key/value group (ShortGPT Fig. 6); all variants of a layer share the prefix
 * ({@link PrefixAblation}).
 *
 * @param attention [L] loss without layer l's attention
 * @param mlp       [L] loss without layer l's MLP
 * @param heads     null unless heads were asked for
 */
public record SingleSubBlockAblation(double[] attention, double[] mlp, HeadAblation heads) {
    public static SingleSubBlockAblation measure(Model model, int[][] calibration, int batchSequences, boolean heads, Progress progress) {
        return measure(CalibrationRunner.local(model, calibration), batchSequences, heads, progress);
    }

    /** The same, run by {@code runner}. */
    public static SingleSubBlockAblation measure(CalibrationRunner runner, int batchSequences, boolean heads, Progress progress) {
        ModelConfig c = runner.model().config();
        int layers = c.numLayers(), h = c.numHeads(), kv = c.numKvHeads();
        boolean grouped = heads && kv < h;
        SubBlocks none = SubBlocks.none(layers);
        double[][] losses = runner.run(PrefixAblation.of(Transformer.allLayers(layers), none, l -> {
            List<SubBlocks> v = new ArrayList<>(List.of(new SubBlock(SubBlock.Kind.ATTENTION, l).removedFrom(none),
                    new SubBlock(SubBlock.Kind.MLP, l).removedFrom(none)));
            if (heads) for (int q = 0; q < h; q++) v.add(SubBlocks.zeroingHeads(c, l, q));
            if (grouped) for (int g = 0; g < kv; g++) v.add(SubBlocks.zeroingHeads(c, l, IntStream.range(g * (h / kv), (g + 1) * (h / kv)).toArray()));
            return v;
        }, batchSequences), heads ? "heads" : "sub-ablation", progress).means();
        double[] attention = new double[layers], mlp = new double[layers];
        double[][] head = heads ? new double[layers][] : null, group = grouped ? new double[layers][] : null;
        for (int l = 0; l < layers; l++) {
            attention[l] = losses[l][0];
            mlp[l] = losses[l][1];
            if (heads) head[l] = java.util.Arrays.copyOfRange(losses[l], 2, 2 + h);
            if (grouped) group[l] = java.util.Arrays.copyOfRange(losses[l], 2 + h, 2 + h + kv);
        }
        return new SingleSubBlockAblation(attention, mlp, heads ? new HeadAblation(head, group) : null);
    }
}
