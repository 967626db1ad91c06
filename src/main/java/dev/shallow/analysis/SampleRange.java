package dev.shallow.analysis;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A contiguous range of the calibration sequences, with the global index of its first token (sequences one after another),
 * which is what the CKA sample and the per-token sums are indexed by.
 *
 * @param sequences  the range's sequences
 * @param firstToken the index in the whole calibration set of the range's first token
 */
record SampleRange(int[][] sequences, long firstToken) implements Serializable {
    /** The whole set. */
    static SampleRange all(int[][] sequences) {
        return new SampleRange(sequences, 0);
    }

    /** The set cut into {@code parts} contiguous ranges of as equal a number of sequences as can be (sequence s in range s * parts / n). */
    static List<SampleRange> split(int[][] sequences, int parts) {
        if (parts < 1 || parts > sequences.length) {
            throw new IllegalArgumentException("cannot cut " + sequences.length + " sequences into " + parts + " ranges");
        }
        List<SampleRange> ranges = new ArrayList<>();
        long first = 0;
        for (int p = 0; p < parts; p++) {
            int[][] range = Arrays.copyOfRange(sequences, (int) ((long) p * sequences.length / parts), (int) ((long) (p + 1) * sequences.length / parts));
            ranges.add(new SampleRange(range, first));
            first += Batches.tokens(range);
        }
        return ranges;
    }

    long tokens() {
        return Batches.tokens(sequences);
    }
}
