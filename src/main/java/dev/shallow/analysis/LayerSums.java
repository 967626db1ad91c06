package dev.shallow.analysis;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The sums a statistics pass ({@link LayerStatistics}) adds over a range of calibration sequences, and the range's rows of
 * the CKA sample: each sum is exact ({@link ExactSum}) and the rows are kept at their slots in the sample, so ranges merge to
 * the bits of one pass over the whole set, in any order. Points p = 0..K as in {@link LayerStatistics}.
 */
final class LayerSums implements Partial<LayerSums> {
    private final int hidden;
    private final AngularTokens angularTokens;
    /** [i][n-1]: d(x_i, x_{i+n}) over the angular tokens. */
    final ExactSum[][] angular;
    /** Per run layer: cos(x_i, x_{i+1}) and ||x_{i+1} - x_i|| / ||x_{i+1}|| over every token. */
    final ExactSum[] cos, relative;
    /** Per run layer: cos over every token and d over the angular tokens across its attention (x_i to m_i) and its MLP (m_i to x_{i+1}). */
    final ExactSum[] attentionCos, mlpCos, attentionAngular, mlpAngular;
    long tokens, sequences;
    /** Tokens in the whole CKA sample (0: no CKA), and the sampled rows measured so far. */
    private final int ckaSample;
    private final List<CkaRows> ckaRows = new ArrayList<>();
    /** The loss of the pass' logits, or null when it computes none. */
    final CalibrationLoss loss;

    /**
     * Rows {@code from} .. {@code from + count - 1} of the CKA sample.
     *
     * @param rows per point, count x hidden floats
     */
    record CkaRows(int from, int count, float[][] rows) implements Serializable {
    }

    LayerSums(int points, int hidden, AngularTokens angularTokens, int ckaSample, CkaRows rows, CalibrationLoss loss) {
        this.hidden = hidden;
        this.angularTokens = angularTokens;
        int k = points - 1;
        this.angular = sums(k, k);
        ExactSum[][] perLayer = sums(6, k);
        this.cos = perLayer[0];
        this.relative = perLayer[1];
        this.attentionCos = perLayer[2];
        this.mlpCos = perLayer[3];
        this.attentionAngular = perLayer[4];
        this.mlpAngular = perLayer[5];
        this.ckaSample = ckaSample;
        if (rows != null) ckaRows.add(rows);
        this.loss = loss;
    }

    private static ExactSum[][] sums(int rows, int columns) {
        ExactSum[][] s = new ExactSum[rows][columns];
        for (ExactSum[] row : s) Arrays.setAll(row, _ -> new ExactSum());
        return s;
    }

    @Override
    public void merge(LayerSums other) {
        for (int i = 0; i < angular.length; i++) add(angular[i], other.angular[i]);
        add(cos, other.cos);
        add(relative, other.relative);
        add(attentionCos, other.attentionCos);
        add(mlpCos, other.mlpCos);
        add(attentionAngular, other.attentionAngular);
        add(mlpAngular, other.mlpAngular);
        tokens += other.tokens;
        sequences += other.sequences;
        ckaRows.addAll(other.ckaRows);
        if (loss != null) loss.merge(other.loss);
    }

    private static void add(ExactSum[] to, ExactSum[] from) {
        for (int i = 0; i < to.length; i++) to[i].add(from[i]);
    }

    /** Means of the sums; CKA from the sampled rows, which must all be here. */
    LayerMetrics metrics() {
        int k = cos.length;
        double count = angularTokens == AngularTokens.LAST ? sequences : tokens;
        double[][] angularMean = new double[k][k];
        double[] bi = new double[k], rel = new double[k];
        double[] attentionBi = new double[k], mlpBi = new double[k], attentionD = new double[k], mlpD = new double[k];
        for (int i = 0; i < k; i++) {
            Arrays.fill(angularMean[i], Double.NaN);
            for (int n = 1; i + n <= k; n++) angularMean[i][n - 1] = angular[i][n - 1].value() / count;
            bi[i] = 1 - cos[i].value() / tokens;
            rel[i] = relative[i].value() / tokens;
            attentionBi[i] = 1 - attentionCos[i].value() / tokens;
            mlpBi[i] = 1 - mlpCos[i].value() / tokens;
            attentionD[i] = attentionAngular[i].value() / count;
            mlpD[i] = mlpAngular[i].value() / count;
        }
        double[][] cka = ckaSample == 0 ? null : LinearCka.matrix(sampledRows(k + 1), ckaSample, hidden);
        return new LayerMetrics(angularMean, bi, rel, cka, new SubBlockMetrics(attentionBi, mlpBi, attentionD, mlpD));
    }

    /** Per point, the whole sample's rows in slot order (the ranges' rows put together). */
    private float[][] sampledRows(int points) {
        if (ckaRows.size() == 1 && ckaRows.getFirst().count() == ckaSample) return ckaRows.getFirst().rows();
        float[][] all = new float[points][ckaSample * hidden];
        int filled = 0;
        for (CkaRows r : ckaRows) {
            for (int p = 0; p < points; p++) System.arraycopy(r.rows()[p], 0, all[p], r.from() * hidden, r.count() * hidden);
            filled += r.count();
        }
        if (filled != ckaSample) throw new IllegalStateException("CKA: " + filled + " of " + ckaSample + " sampled rows measured");
        return all;
    }
}
