package dev.shallow.analysis;

import dev.shallow.eval.LogProbs;
import dev.shallow.transformer.MemoryBudget;
import dev.shallow.transformer.Transformer;

import java.util.List;

/** Mean next-token negative log-likelihood (nats) over every predicted token of the calibration set, pooled; summed exactly. */
public final class CalibrationLoss implements Partial<CalibrationLoss> {
    private final ExactSum nll = new ExactSum();
    private long predicted;

    /** Adds a batch's all-position logits: nll += -log p(ids[t+1] | ids[..t]) for t < T-1 of each sequence. */
    void add(float[] logits, int[][] batch, int vocab) {
        int row = 0;
        for (int[] seq : batch) {
            for (int t = 0; t + 1 < seq.length; t++) nll.add(-LogProbs.logProb(logits, (row + t) * vocab, vocab, seq[t + 1]));
            predicted += seq.length - 1;
            row += seq.length;
        }
    }

    @Override
    public void merge(CalibrationLoss other) {
        nll.add(other.nll);
        predicted += other.predicted;
    }

    double mean() {
        return nll.value() / predicted;
    }

    /** The calibration loss of {@code tf}; progress counts this run's tokens. */
    public static double of(Transformer tf, int[][] seqs, int batchSize, MemoryBudget memory, Progress progress, String phase) {
        return measure(tf, seqs, batchSize, memory, progress, phase).mean();
    }

    /** The summed loss of {@code tf} on {@code seqs}. */
    static CalibrationLoss measure(Transformer tf, int[][] seqs, int batchSize, MemoryBudget memory, Progress progress, String phase) {
        CalibrationLoss loss = new CalibrationLoss();
        int vocab = tf.model().config().vocabSize();
        List<int[][]> batches = Batches.of(seqs, batchSize);
        Batches.run(tf, batches, memory, true, new Batches.Observer() {
            @Override
            public void stream(int batch, int layer, float[] x, int tokens, int hidden) {
            }

            @Override
            public void logits(int batch, float[] logits) {
                loss.add(logits, batches.get(batch), vocab);
            }
        }, progress, phase);
        return loss;
    }
}
