package dev.shallow.analysis;

import dev.shallow.model.Model;
import dev.shallow.tensor.Parallel;
import dev.shallow.transformer.Transformer;

import java.util.Arrays;
import java.util.List;

/**
 * Every per-layer statistic in one streaming pass over mini-batches of sequences ({@link Batches}). Points
 * p = 0..K are the streams entering each of the K run layers, then the output before the final norm.
 * Sums are exact ({@link ExactSum}: per-token terms in double, their sum rounded once), so results do not depend on the
 * batch size, the thread count, whether the batches run one after another or layer by layer, or how the sequences are
 * split into ranges whose {@link LayerSums} are merged ({@link ClusterCalibration}).
 * <p>
 * Memory besides the forward's own activations: O(K^2) sums; per batch in flight the previous point's stream
 * (batchTokens x hidden) and each point's last-token rows (O(K x batchSequences x hidden)); with
 * {@link AngularTokens#ALL} every point's stream of the batch (O(K x batchTokens x hidden)); for CKA
 * the sampled rows of every point (O(K x ckaTokens x hidden)). Never O(T^2) in the calibration size.
 */
public final class LayerStatistics implements Batches.Observer {
    private final int[] pointOf;
    private final int points;
    private final int hidden;
    private final AngularTokens angularTokens;
    private final CkaSample ckaSample;
    /** The sample slot of the range's first sampled token, and per point the range's sampled rows from it on. */
    private final int ckaFrom;
    private final float[][] ckaRows;
    private final LayerSums sums;
    private final int vocab;

    private final List<int[][]> batches;
    /** Per batch: the index of its first token in the calibration set. */
    private final long[] batchStart;
    /** Per batch in flight: the stream at its previous point, the last-token rows and (ALL) the stream at each point. */
    private final float[][] previous;
    /** Per batch in flight: the stream between the attention and the MLP of the layer it is in. */
    private final float[][] middle;
    private final float[][][] lastRows;
    private final float[][][] allRows;

    /**
     * A pass over the range of the calibration set that starts at token {@code firstToken} and is cut into {@code batches}.
     *
     * @param numLayers the model's layer count (the observer's index of the output)
     * @param layers    the layers that run (original indices, increasing)
     * @param ckaSample tokens for CKA (of the whole set), or null for none
     * @param loss      also sum the calibration loss of the batches' logits
     */
    LayerStatistics(int numLayers, int[] layers, int hidden, int vocab, AngularTokens angularTokens, CkaSample ckaSample,
                    long firstToken, List<int[][]> batches, boolean loss) {
        this.points = layers.length + 1;
        this.pointOf = new int[numLayers + 1];
        Arrays.fill(pointOf, -1);
        for (int i = 0; i < layers.length; i++) pointOf[layers[i]] = i;
        pointOf[numLayers] = layers.length;
        this.hidden = hidden;
        this.vocab = vocab;
        this.angularTokens = angularTokens;
        this.ckaSample = ckaSample;
        this.batches = batches;
        this.batchStart = new long[batches.size()];
        long end = firstToken;
        for (int b = 0; b < batches.size(); b++) {
            batchStart[b] = end;
            end += Batches.tokens(batches.get(b));
        }
        this.ckaFrom = ckaSample == null ? 0 : lowerBound(ckaSample.tokens(), firstToken);
        int ckaCount = ckaSample == null ? 0 : lowerBound(ckaSample.tokens(), end) - ckaFrom;
        this.ckaRows = ckaSample == null ? null : new float[points][ckaCount * hidden];
        this.sums = new LayerSums(points, hidden, angularTokens, ckaSample == null ? 0 : ckaSample.size(),
                ckaSample == null ? null : new LayerSums.CkaRows(ckaFrom, ckaCount, ckaRows), loss ? new CalibrationLoss() : null);
        this.previous = new float[batches.size()][];
        this.middle = new float[batches.size()][];
        this.lastRows = new float[batches.size()][][];
        this.allRows = new float[batches.size()][][];
    }

    /**
     * A statistics pass as a {@link CalibrationJob}.
     *
     * @param layers the layers that run
     * @param sample the CKA sample of the whole set, or null for none
     * @param loss   also sum the calibration loss of the same forward passes
     */
    record Job(int[] layers, AnalysisOptions options, CkaSample sample, boolean loss) implements CalibrationJob<LayerSums> {
        @Override
        public LayerSums run(Model model, SampleRange range, Progress progress) {
            return measure(new Transformer(model, layers), range, options, sample, loss, progress);
        }

        @Override
        public long work(long tokens) {
            return tokens;
        }
    }

    /**
     * One pass of {@code tf} over {@code range} in mini-batches; with {@code loss} the same forward passes also sum the
     * calibration loss of their logits.
     */
    static LayerSums measure(Transformer tf, SampleRange range, AnalysisOptions o, CkaSample sample, boolean loss, Progress progress) {
        var c = tf.model().config();
        List<int[][]> batches = Batches.of(range.sequences(), o.batchSequences());
        LayerStatistics stats = new LayerStatistics(c.numLayers(), tf.layers(), c.hiddenSize(), c.vocabSize(), o.angularTokens(), sample,
                range.firstToken(), batches, loss);
        Batches.run(tf, batches, o.memory(), loss, stats, progress, "pass");
        return stats.sums;
    }

    /** What the pass has summed so far. */
    LayerSums sums() {
        return sums;
    }

    @Override
    public long keptBytes(int[][] batch) {
        long stream = 4L * hidden * Batches.tokens(batch);
        return 2 * stream + 4L * points * hidden * batch.length + (angularTokens == AngularTokens.ALL ? points * stream : 0);
    }

    @Override
    public void logits(int batch, float[] logits) {
        sums.loss.add(logits, batches.get(batch), vocab);
    }

    @Override
    public dev.shallow.transformer.ResidualObserver midStream(int b) {
        return (layer, x, n, h) -> {
            addSubBlock(pointOf[layer], sums.attentionCos, sums.attentionAngular, previous[b], x, n, batches.get(b));
            middle[b] = Arrays.copyOf(x, n * h);
        };
    }

    @Override
    public void stream(int b, int layer, float[] x, int n, int h) {
        int p = pointOf[layer];
        if (p > 0 && middle[b] != null) { // a pass always shows the mid stream; a replay of layer streams alone measures no sub-block
            addSubBlock(p - 1, sums.mlpCos, sums.mlpAngular, middle[b], x, n, batches.get(b));
            middle[b] = null;
        }
        if (p == 0) {
            lastRows[b] = new float[points][];
            if (angularTokens == AngularTokens.ALL) allRows[b] = new float[points][];
        }
        if (p > 0) addStep(p - 1, previous[b], x, n);
        if (angularTokens == AngularTokens.ALL) {
            addAllTokenAngles(allRows[b], p, x, n);
            allRows[b][p] = Arrays.copyOf(x, n * h);
        }
        lastRows[b][p] = lastRows(batches.get(b), x);
        if (angularTokens == AngularTokens.LAST) addLastTokenAngles(lastRows[b], p, batches.get(b).length);
        if (ckaSample != null) keepCkaRows(b, p, x, n);
        if (p == points - 1) {
            sums.tokens += n;
            sums.sequences += batches.get(b).length;
            previous[b] = null;
            lastRows[b] = null;
            allRows[b] = null;
        } else {
            previous[b] = Arrays.copyOf(x, n * h);
        }
    }

    /** Step i (x_i -> x_{i+1} = x): sums of cos(x_i,t, x_{i+1},t) and ||x_{i+1},t - x_i,t|| / ||x_{i+1},t||. */
    private void addStep(int i, float[] before, float[] x, int n) {
        double[] cos = new double[n], rel = new double[n];
        Parallel.forEach(n, t -> {
            cos[t] = Vectors.cos(before, t * hidden, x, t * hidden, hidden);
            rel[t] = Vectors.relativeMagnitude(before, x, t * hidden, hidden);
        });
        for (int t = 0; t < n; t++) {
            sums.cos[i].add(cos[t]);
            sums.relative[i].add(rel[t]);
        }
    }

    /**
     * A sub-block of run layer i, from stream {@code in} to {@code out}: cos summed over every token, the angular distance
     * d = arccos(clamp(cos, -1, 1)) / pi (Gromov et al.) over the angular tokens (every token, or each sequence's last).
     */
    private void addSubBlock(int i, ExactSum[] cosSum, ExactSum[] angularSum, float[] in, float[] out, int n, int[][] batch) {
        double[] cos = new double[n];
        Parallel.forEach(n, t -> cos[t] = Vectors.cos(in, t * hidden, out, t * hidden, hidden));
        for (int t = 0; t < n; t++) cosSum[i].add(cos[t]);
        if (angularTokens == AngularTokens.ALL) {
            for (int t = 0; t < n; t++) angularSum[i].add(Vectors.angle(cos[t]));
        } else {
            int end = 0;
            for (int[] seq : batch) angularSum[i].add(Vectors.angle(cos[(end += seq.length) - 1]));
        }
    }

    /** All-token angular distance: d(x_i,t, x_p,t) for every earlier point i and every token t of the batch. */
    private void addAllTokenAngles(float[][] rows, int p, float[] x, int n) {
        double[] d = new double[n * p];
        Parallel.forEach(n, t -> {
            for (int i = 0; i < p; i++) d[t * p + i] = Vectors.angularDistance(rows[i], t * hidden, x, t * hidden, hidden);
        });
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < p; i++) sums.angular[i][p - i - 1].add(d[t * p + i]);
        }
    }

    /** The last token's row of each sequence of the batch. */
    private float[] lastRows(int[][] batch, float[] x) {
        float[] rows = new float[batch.length * hidden];
        int end = 0;
        for (int s = 0; s < batch.length; s++) {
            end += batch[s].length;
            System.arraycopy(x, (end - 1) * hidden, rows, s * hidden, hidden);
        }
        return rows;
    }

    /** Last-token angular distance d(x_i, x_p) of each sequence of the batch, for every earlier point i. */
    private void addLastTokenAngles(float[][] rows, int p, int batchSequences) {
        for (int s = 0; s < batchSequences; s++) {
            for (int i = 0; i < p; i++) sums.angular[i][p - i - 1].add(Vectors.angularDistance(rows[i], s * hidden, rows[p], s * hidden, hidden));
        }
    }

    /** The batch's rows among the CKA sample, at their slots (relative to the range's first). */
    private void keepCkaRows(int b, int p, float[] x, int n) {
        long[] chosen = ckaSample.tokens();
        int from = lowerBound(chosen, batchStart[b]), to = lowerBound(chosen, batchStart[b] + n);
        for (int k = from; k < to; k++) System.arraycopy(x, (int) (chosen[k] - batchStart[b]) * hidden, ckaRows[p], (k - ckaFrom) * hidden, hidden);
    }

    private static int lowerBound(long[] sorted, long key) {
        int i = Arrays.binarySearch(sorted, key);
        return i >= 0 ? i : -i - 1;
    }
}
