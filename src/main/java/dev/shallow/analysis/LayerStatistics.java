package dev.shallow.analysis;

import dev.shallow.tensor.Parallel;
import dev.shallow.transformer.ResidualObserver;
import dev.shallow.transformer.Transformer;

import java.util.Arrays;

/**
 * Every per-layer statistic in one streaming pass: a {@link ResidualObserver} fed one mini-batch of
 * sequences after another ({@link #beginBatch} before each forward). Points p = 0..K are the streams
 * entering each of the K run layers, then the output before the final norm. Sums are in double and
 * are added in global token order (per-token terms may be computed in parallel, then summed serially),
 * so results do not depend on the batch size or thread count.
 * <p>
 * Memory besides the forward's own activations: O(K^2) sums; per batch the previous point's stream
 * (batchTokens x hidden) and each point's last-token rows (O(K x batchSequences x hidden)); with
 * {@link AngularTokens#ALL} every point's stream of the batch (O(K x batchTokens x hidden)); for CKA
 * the sampled rows of every point (O(K x ckaTokens x hidden)). Never O(T^2) in the calibration size.
 */
public final class LayerStatistics implements ResidualObserver {
    private final int[] pointOf;
    private final int points;
    private final int hidden;
    private final AngularTokens angularTokens;
    private final CkaSample ckaSample;
    private final float[][] ckaRows;
    private final double[][] angularSum;
    private final double[] cosSum;
    private final double[] relativeSum;
    private long tokens;
    private long sequences;

    private int[][] batch;
    private long batchStart;
    private int[] ckaBatchRows;
    private int[] ckaBatchSlots;
    private float[] previous;
    private final float[][] lastRows;
    private final float[][] allRows;

    /**
     * @param numLayers the model's layer count (the observer's index of the output)
     * @param layers    the layers that run (original indices, increasing)
     * @param ckaSample tokens for CKA, or null for none
     */
    LayerStatistics(int numLayers, int[] layers, int hidden, AngularTokens angularTokens, CkaSample ckaSample) {
        this.points = layers.length + 1;
        this.pointOf = new int[numLayers + 1];
        Arrays.fill(pointOf, -1);
        for (int i = 0; i < layers.length; i++) pointOf[layers[i]] = i;
        pointOf[numLayers] = layers.length;
        this.hidden = hidden;
        this.angularTokens = angularTokens;
        this.ckaSample = ckaSample;
        this.ckaRows = ckaSample == null ? null : new float[points][ckaSample.size() * hidden];
        this.angularSum = new double[points - 1][points - 1];
        this.cosSum = new double[points - 1];
        this.relativeSum = new double[points - 1];
        this.lastRows = new float[points][];
        this.allRows = new float[points][];
    }

    /**
     * One pass of {@code tf} over {@code seqs} in mini-batches; when {@code loss} is not null the
     * same forward passes also add their logits to it.
     */
    static LayerMetrics measure(Transformer tf, int[][] seqs, AnalysisOptions o, Progress progress, CalibrationLoss loss) {
        int numLayers = tf.model().config().numLayers(), h = tf.model().config().hiddenSize();
        CkaSample sample = o.ckaTokens() == 0 ? null : CkaSample.choose(seqs, o.ckaTokens(), o.ckaSeed());
        LayerStatistics stats = new LayerStatistics(numLayers, tf.layers(), h, o.angularTokens(), sample);
        long done = 0, total = Batches.tokens(seqs);
        for (int[][] batch : Batches.of(seqs, o.batchSequences())) {
            stats.beginBatch(batch);
            float[] logits = Batches.forward(tf, batch, loss != null, stats);
            if (loss != null) loss.add(logits, batch, tf.model().config().vocabSize());
            done += Batches.tokens(batch);
            progress.update("pass", done, total);
        }
        return stats.metrics();
    }

    /** The next mini-batch (the sequences following the previous batch's in the calibration set). */
    void beginBatch(int[][] seqs) {
        batchStart += batch == null ? 0 : Batches.tokens(batch);
        batch = seqs;
        int n = (int) Batches.tokens(seqs);
        if (ckaSample == null) return;
        long[] chosen = ckaSample.tokens();
        int from = lowerBound(chosen, batchStart), to = lowerBound(chosen, batchStart + n);
        ckaBatchRows = new int[to - from];
        ckaBatchSlots = new int[to - from];
        for (int k = from; k < to; k++) {
            ckaBatchRows[k - from] = (int) (chosen[k] - batchStart);
            ckaBatchSlots[k - from] = k;
        }
    }

    private static int lowerBound(long[] sorted, long key) {
        int i = Arrays.binarySearch(sorted, key);
        return i >= 0 ? i : -i - 1;
    }

    @Override
    public void accept(int layer, float[] x, int n, int h) {
        int p = pointOf[layer];
        if (p > 0) addStep(p - 1, x, n);
        if (angularTokens == AngularTokens.ALL) {
            addAllTokenAngles(p, x, n);
            allRows[p] = Arrays.copyOf(x, n * h);
        }
        keepLastRows(p, x);
        if (ckaSample != null) {
            for (int k = 0; k < ckaBatchRows.length; k++) System.arraycopy(x, ckaBatchRows[k] * h, ckaRows[p], ckaBatchSlots[k] * h, h);
        }
        if (p == points - 1) {
            if (angularTokens == AngularTokens.LAST) addLastTokenAngles();
            tokens += n;
            sequences += batch.length;
        } else {
            if (previous == null || previous.length != n * h) previous = new float[n * h];
            System.arraycopy(x, 0, previous, 0, n * h);
        }
    }

    /** Step i (x_i -> x_{i+1} = x): sums of cos(x_i,t, x_{i+1},t) and ||x_{i+1},t - x_i,t|| / ||x_{i+1},t||. */
    private void addStep(int i, float[] x, int n) {
        double[] cos = new double[n], rel = new double[n];
        Parallel.forEach(n, t -> {
            cos[t] = Vectors.cos(previous, t * hidden, x, t * hidden, hidden);
            rel[t] = Vectors.relativeMagnitude(previous, x, t * hidden, hidden);
        });
        for (int t = 0; t < n; t++) {
            cosSum[i] += cos[t];
            relativeSum[i] += rel[t];
        }
    }

    /** All-token angular distance: d(x_i,t, x_p,t) for every earlier point i and every token t of the batch. */
    private void addAllTokenAngles(int p, float[] x, int n) {
        double[] d = new double[n * p];
        Parallel.forEach(n, t -> {
            for (int i = 0; i < p; i++) d[t * p + i] = Vectors.angularDistance(allRows[i], t * hidden, x, t * hidden, hidden);
        });
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < p; i++) angularSum[i][p - i - 1] += d[t * p + i];
        }
    }

    private void keepLastRows(int p, float[] x) {
        float[] rows = new float[batch.length * hidden];
        int end = 0;
        for (int b = 0; b < batch.length; b++) {
            end += batch[b].length;
            System.arraycopy(x, (end - 1) * hidden, rows, b * hidden, hidden);
        }
        lastRows[p] = rows;
    }

    /** Last-token angular distance d(x_i, x_j) of each sequence of the batch, for every pair of points i < j. */
    private void addLastTokenAngles() {
        for (int b = 0; b < batch.length; b++) {
            for (int i = 0; i < points; i++) {
                for (int j = i + 1; j < points; j++) {
                    angularSum[i][j - i - 1] += Vectors.angularDistance(lastRows[i], b * hidden, lastRows[j], b * hidden, hidden);
                }
            }
        }
    }

    /** Means of the sums so far; CKA from the sampled rows. */
    LayerMetrics metrics() {
        int k = points - 1;
        double count = angularTokens == AngularTokens.LAST ? sequences : tokens;
        double[][] angular = new double[k][k];
        double[] bi = new double[k], rel = new double[k];
        for (int i = 0; i < k; i++) {
            Arrays.fill(angular[i], Double.NaN);
            for (int n = 1; i + n <= k; n++) angular[i][n - 1] = angularSum[i][n - 1] / count;
            bi[i] = 1 - cosSum[i] / tokens;
            rel[i] = relativeSum[i] / tokens;
        }
        double[][] cka = ckaSample == null ? null : LinearCka.matrix(ckaRows, ckaSample.size(), hidden);
        return new LayerMetrics(angular, bi, rel, cka);
    }
}
