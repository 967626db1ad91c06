package dev.shallow.transformer;

import dev.shallow.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;
import java.util.function.ToLongFunction;

/**
 * The order in which independent units of forward work (calibration batches, evaluation chunks) go
 * through a {@link Transformer}'s layers.
 * <ul>
 * <li>In memory: one unit after another through every layer; every weight is read once per unit.</li>
 * <li>Layer-major: the units of a chunk all go through layer l before any goes through l + 1, so each
 * layer's weights are read once per chunk and only about one layer's pages need to be resident: the next
 * layer's are read ahead on a background thread ({@code MemorySegment.load}) and a finished layer's are
 * released ({@code MemorySegment.unload}, madvise(MADV_DONTNEED)). Chunks hold at most {@code chunkBytes}
 * of the units' own memory (their residual streams); a chunk is at least one unit.</li>
 * </ul>
 * A unit runs the same float operations in either order, so results are identical.
 *
 * @param reason why this schedule was chosen, for the user
 */
public record LayerSchedule(boolean layerMajor, long chunkBytes, String reason) {
    public static final LayerSchedule IN_MEMORY = new LayerSchedule(false, Long.MAX_VALUE, "in memory");

    /** One independent piece of forward work. {@link #begin} once, then {@link #layer} for each layer that runs, in order, then {@link #finish}. */
    public interface Unit {
        /** Tokens the unit pushes through each layer (for progress). */
        long tokens();

        /** Heap bytes the unit holds between layers (residual streams and what is kept of them), for chunking. */
        long residentBytes();

        /** Tokens of the unit's largest forward call (the layer workspace is sized for it). */
        default int widestPass() {
            return Math.toIntExact(tokens());
        }

        /** Embeds the unit's tokens. */
        void begin();

        /** Runs layer {@code l} (original index) of the unit. */
        void layer(int l, Transformer.Workspace ws);

        /** After the last layer: logits, scores, statistics; then the unit frees what it holds. */
        void finish();
    }

    /** Runs every unit through {@code tf.layers()}; {@code tokensDone} hears the tokens done so far (layer-major: token-layers / layers). */
    public void run(Transformer tf, List<? extends Unit> units, LongConsumer tokensDone) {
        int[] layers = tf.layers();
        Transformer.Workspace ws = new Transformer.Workspace();
        long done = 0;
        if (!layerMajor) {
            for (Unit u : units) {
                u.begin();
                for (int l : layers) u.layer(l, ws);
                u.finish();
                tokensDone.accept(done += u.tokens());
            }
            return;
        }
        ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "shallow-read-ahead");
            t.setDaemon(true);
            return t;
        });
        try {
            long tokenLayers = 0;
            for (List<? extends Unit> chunk : runs(units, Unit::residentBytes, chunkBytes)) {
                for (Unit u : chunk) u.begin();
                Future<?> ahead = reader.submit(() -> load(tf, layers[0]));
                for (int i = 0; i < layers.length; i++) {
                    ahead.get();
                    if (i + 1 < layers.length) {
                        int next = layers[i + 1];
                        ahead = reader.submit(() -> load(tf, next));
                    }
                    for (Unit u : chunk) {
                        u.layer(layers[i], ws);
                        tokenLayers += u.tokens();
                        tokensDone.accept(tokenLayers / layers.length);
                    }
                    release(tf, layers[i]);
                }
                ahead.get();
                for (Unit u : chunk) u.finish();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading weights ahead", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("reading weights ahead failed: " + e.getCause(), e.getCause());
        } finally {
            reader.shutdownNow();
        }
    }

    /** Consecutive runs of {@code items}, each as long as its sizes add up to at most {@code cap} (and at least one item). */
    public static <T> List<List<T>> runs(List<T> items, ToLongFunction<? super T> size, long cap) {
        List<List<T>> out = new ArrayList<>();
        for (int from = 0; from < items.size(); ) {
            int to = from;
            long sum = 0;
            while (to < items.size() && (to == from || sum + size.applyAsLong(items.get(to)) <= cap)) sum += size.applyAsLong(items.get(to++));
            out.add(items.subList(from, to));
            from = to;
        }
        return out;
    }

    private static void load(Transformer tf, int layer) {
        for (Tensor t : tf.model().layer(layer).matrices()) if (t.segment().isMapped()) t.segment().load();
    }

    private static void release(Transformer tf, int layer) {
        for (Tensor t : tf.model().layer(layer).matrices()) if (t.segment().isMapped()) t.segment().unload();
    }
}
