package dev.shallow.analysis;

import dev.shallow.Shared;
import dev.shallow.model.Model;
import dev.shallow.tensor.Parallel;
import dev.shallow.transformer.KVCache;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The statistics do not depend on how the calibration set is cut into mini-batches or on the thread
 * count: per-token terms are summed exactly ({@link ExactSum}). Checked exactly (bit-identical, stronger
 * than 1e-12) by replaying one recorded set of residual streams through {@link LayerStatistics} in
 * different batchings; end to end through the forward pass within 1e-6 (float32 rounding level), because the forward
 * itself is only reproducible to rounding (Linear.dot's Vector API lane reduction is summed in a
 * different order before and after the JIT compiles it).
 */
class StreamingInvarianceTest {
    static final String MODEL = "stories-16L";
    static int[][] seqs;
    static float[][][] residuals;
    static int layers, hidden;

    @BeforeAll
    static void record() throws IOException {
        seqs = GoldenSequences.of(MODEL);
        try (Model model = Model.load(Shared.model(MODEL))) {
            layers = model.config().numLayers();
            hidden = model.config().hiddenSize();
            residuals = new float[seqs.length][layers + 1][];
            Transformer tf = new Transformer(model);
            for (int s = 0; s < seqs.length; s++) {
                int seq = s;
                tf.forward(new int[][]{seqs[s]}, new KVCache[]{tf.newCache(seqs[s].length)}, false, (l, x, n, h) -> residuals[seq][l] = x.clone());
            }
        }
    }

    /**
     * Feeds the recorded streams to the statistics in mini-batches of {@code batch} sequences, as a forward pass would:
     * batch after batch, or (layerMajor) every batch's stream at layer l before any at l + 1.
     */
    static LayerMetrics replay(int batch, AngularTokens tokens, boolean layerMajor) {
        List<int[][]> batches = Batches.of(seqs, batch);
        LayerStatistics stats = new LayerStatistics(layers, Transformer.allLayers(layers), hidden, 0, tokens, CkaSample.choose(seqs, 64, 3), 0, batches, false);
        int outer = layerMajor ? layers + 1 : batches.size(), inner = layerMajor ? batches.size() : layers + 1;
        for (int i = 0; i < outer; i++) {
            for (int j = 0; j < inner; j++) {
                int b = layerMajor ? j : i, l = layerMajor ? i : j;
                float[] x = new float[0];
                for (int s = b * batch; s < Math.min(seqs.length, (b + 1) * batch); s++) x = concat(x, residuals[s][l]);
                stats.stream(b, l, x, x.length / hidden, hidden);
            }
        }
        return stats.sums().metrics();
    }

    static LayerMetrics replay(int batch, AngularTokens tokens) {
        return replay(batch, tokens, false);
    }

    static float[] concat(float[] a, float[] b) {
        float[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    static void assertIdentical(LayerMetrics a, LayerMetrics b) {
        assertArrayEquals(a.angularDistance(), b.angularDistance());
        assertArrayEquals(a.blockInfluence(), b.blockInfluence());
        assertArrayEquals(a.relativeMagnitude(), b.relativeMagnitude());
        assertArrayEquals(a.cka(), b.cka());
    }

    @Test
    void oneBatchOrManyGiveIdenticalMetrics() {
        for (AngularTokens tokens : AngularTokens.values()) {
            LayerMetrics whole = replay(seqs.length, tokens);
            assertIdentical(whole, replay(1, tokens));
            assertIdentical(whole, replay(3, tokens));
        }
    }

    /** Layer-major order (every batch through layer l before layer l + 1, as a model larger than memory runs) gives the same bits. */
    @Test
    void layerMajorOrderGivesIdenticalMetrics() {
        for (AngularTokens tokens : AngularTokens.values()) assertIdentical(replay(3, tokens, false), replay(3, tokens, true));
    }

    @Test
    void oneOrTwoThreadsGiveIdenticalMetrics() {
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            LayerMetrics one = replay(2, AngularTokens.ALL);
            Parallel.setThreads(2);
            assertIdentical(one, replay(2, AngularTokens.ALL));
        } finally {
            Parallel.setThreads(before);
        }
    }

    /** The all-token option is the plain mean over every token of d(x_l,t, x_{l+n},t). */
    @Test
    void allTokenAngularDistanceIsTheMeanOverTokens() {
        double[][] d = replay(2, AngularTokens.ALL).angularDistance();
        for (int l = 0; l < layers; l++) {
            for (int n = 1; l + n <= layers; n++) {
                double sum = 0;
                int count = 0;
                for (int s = 0; s < seqs.length; s++) {
                    for (int t = 0; t < seqs[s].length; t++, count++) {
                        sum += Vectors.angularDistance(residuals[s][l], t * hidden, residuals[s][l + n], t * hidden, hidden);
                    }
                }
                assertEquals(sum / count, d[l][n - 1], 1e-12, "d[" + l + "][" + (n - 1) + "]");
            }
        }
    }

    /** Through the model: batches of 1, 3 and 4 sequences and 1 or 2 threads agree within 1e-6 (see the class comment). */
    @Test
    void endToEndBatchingAndThreadsAgree() throws IOException {
        int before = Parallel.threads();
        try (Model model = Model.load(Shared.model(MODEL))) {
            Analysis whole = Analyser.run(model, seqs, new AnalysisOptions(AngularTokens.ALL, true, 4, 64, 3, List.of(), 0), null, Progress.NONE);
            double worst = 0;
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setThreads(threads);
                for (int batch : new int[]{1, 3}) {
                    Analysis a = Analyser.run(model, seqs, new AnalysisOptions(AngularTokens.ALL, true, batch, 64, 3, List.of(), 0), null, Progress.NONE);
                    worst = Math.max(worst, maxDiff(whole, a));
                }
            }
            System.out.printf("end to end, batches 1/3/4 and 1/2 threads: max metric difference %.1e%n", worst);
            assertEquals(0, worst, 1e-6);
        } finally {
            Parallel.setThreads(before);
        }
    }

    static double maxDiff(Analysis a, Analysis b) {
        double worst = Math.abs(a.baselineLoss() - b.baselineLoss());
        for (int l = 0; l < a.numLayers(); l++) {
            worst = Math.max(worst, Math.abs(a.blockInfluence()[l] - b.blockInfluence()[l]));
            worst = Math.max(worst, Math.abs(a.relativeMagnitude()[l] - b.relativeMagnitude()[l]));
            worst = Math.max(worst, Math.abs(a.ablationLoss()[l] - b.ablationLoss()[l]));
            for (int c = 0; c + l < a.numLayers(); c++) worst = Math.max(worst, Math.abs(a.angularDistance()[l][c] - b.angularDistance()[l][c]));
        }
        for (int i = 0; i <= a.numLayers(); i++) {
            for (int j = 0; j <= a.numLayers(); j++) worst = Math.max(worst, Math.abs(a.cka()[i][j] - b.cka()[i][j]));
        }
        return worst;
    }
}
