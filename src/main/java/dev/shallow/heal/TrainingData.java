package dev.shallow.heal;

import dev.shallow.data.CalibrationSet;

import java.util.Arrays;
import java.util.List;

/**
 * Training sequences: the text packed into windows of seqLen tokens ({@link CalibrationSet#packAll}:
 * the documents as BOS doc BOS doc ..., cut anywhere), visited epoch after epoch, each epoch in its
 * own seeded order. Sequence i of a run is window order_e[i mod n] with e = i / n and order_e a
 * Fisher-Yates shuffle seeded by (seed, e): any position of a run follows from (seed, i) alone, so
 * resuming needs only the position.
 */
final class TrainingData {
    private final int[][] windows;
    private final long seed;
    private long epoch = -1;
    private List<int[]> order;

    TrainingData(int[][] windows, long seed) {
        if (windows.length == 0) throw new IllegalArgumentException("no training sequences");
        this.windows = windows;
        this.seed = seed;
    }

    /** Windows in the text. */
    int size() {
        return windows.length;
    }

    /** Sequences first .. first + count - 1 of the run. */
    int[][] sequences(long first, int count) {
        int[][] out = new int[count][];
        for (int i = 0; i < count; i++) {
            long at = first + i, e = at / windows.length;
            if (e != epoch) {
                order = CalibrationSet.shuffled(Arrays.asList(windows), Lora.mix(seed ^ Lora.mix(e + 1)));
                epoch = e;
            }
            out[i] = order.get((int) (at % windows.length));
        }
        return out;
    }
}
