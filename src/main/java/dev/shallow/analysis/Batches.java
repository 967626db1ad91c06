package dev.shallow.analysis;

import dev.shallow.transformer.KVCache;
import dev.shallow.transformer.LayerSchedule;
import dev.shallow.transformer.MemoryBudget;
import dev.shallow.transformer.Transformer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The calibration set cut into mini-batches of sequences, each run from empty KV caches as one
 * {@link LayerSchedule.Unit}: in memory batch after batch, or layer by layer when the model does not
 * fit the {@link MemoryBudget}. An observer sees each batch's residual stream and logits.
 */
final class Batches {
    private Batches() {
    }

    /** Sees batch {@code batch}'s residual stream entering {@code layer} (numLayers: the output before the final norm), and its logits. */
    interface Observer {
        void stream(int batch, int layer, float[] x, int tokens, int hidden);

        /** What sees batch {@code batch}'s stream between the attention and the MLP of each layer (null: nothing, the default). */
        default dev.shallow.transformer.ResidualObserver midStream(int batch) {
            return null;
        }

        /** All-position logits of the batch (called only when logits were asked for). */
        default void logits(int batch, float[] logits) {
        }

        /** Heap bytes the observer keeps for a batch between layers, besides the batch's stream. */
        default long keptBytes(int[][] batch) {
            return 0;
        }
    }

    static List<int[][]> of(int[][] seqs, int size) {
        List<int[][]> batches = new ArrayList<>();
        for (int s = 0; s < seqs.length; s += size) batches.add(Arrays.copyOfRange(seqs, s, Math.min(seqs.length, s + size)));
        return batches;
    }

    static long tokens(int[][] seqs) {
        return Arrays.stream(seqs).mapToLong(s -> s.length).sum();
    }

    /** Every batch through {@code tf} in the schedule {@code budget} chooses; {@code logits}: also compute all-position logits. */
    static void run(Transformer tf, List<int[][]> batches, MemoryBudget budget, boolean logits, Observer observer, Progress progress, String phase) {
        int h = tf.model().config().hiddenSize();
        List<Unit> units = new ArrayList<>();
        for (int b = 0; b < batches.size(); b++) {
            units.add(new Unit(tf, b, batches.get(b), logits, observer, 4L * h * tokens(batches.get(b)) + observer.keptBytes(batches.get(b))));
        }
        LayerSchedule schedule = budget.schedule(tf, units);
        if (schedule.layerMajor()) progress.note(schedule.reason());
        long total = units.stream().mapToLong(Unit::tokens).sum();
        schedule.run(tf, units, done -> progress.update(phase, done, total));
    }

    /** One batch: fresh caches (each layer's keys and values dropped once the layer has run), the stream shown to the observer before each layer. */
    private static final class Unit implements LayerSchedule.Unit {
        private final Transformer tf;
        private final int index;
        private final int[][] seqs;
        private final boolean logits;
        private final Observer observer;
        private final long resident;
        private KVCache[] caches;
        private Transformer.Pass pass;

        Unit(Transformer tf, int index, int[][] seqs, boolean logits, Observer observer, long resident) {
            this.tf = tf;
            this.index = index;
            this.seqs = seqs;
            this.logits = logits;
            this.observer = observer;
            this.resident = resident;
        }

        @Override
        public long tokens() {
            return Batches.tokens(seqs);
        }

        @Override
        public long residentBytes() {
            return resident;
        }

        @Override
        public void begin() {
            caches = new KVCache[seqs.length];
            for (int b = 0; b < seqs.length; b++) caches[b] = tf.newCache(seqs[b].length);
            pass = tf.begin(seqs, caches, null);
        }

        @Override
        public void layer(int l, Transformer.Workspace ws) {
            observer.stream(index, l, pass.stream(), pass.tokens(), tf.model().config().hiddenSize());
            pass.layer(l, ws, observer.midStream(index));
            for (KVCache c : caches) c.dropLayer(l);
        }

        @Override
        public void finish() {
            observer.stream(index, tf.model().config().numLayers(), pass.stream(), pass.tokens(), tf.model().config().hiddenSize());
            if (logits) observer.logits(index, pass.finish(true));
            pass = null;
            caches = null;
        }
    }
}
