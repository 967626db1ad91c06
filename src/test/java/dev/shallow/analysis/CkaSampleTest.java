package dev.shallow.analysis;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CkaSampleTest {
    @Test
    void lastTokensThenSeededOthersNeverPositionZero() {
        int[][] seqs = {new int[5], new int[3], new int[4]};
        CkaSample s = CkaSample.choose(seqs, 6, 0);
        assertEquals(6, s.size());
        long[] t = s.tokens();
        for (long last : new long[]{4, 7, 11}) assertTrue(java.util.Arrays.binarySearch(t, last) >= 0, "last token " + last);
        for (long first : new long[]{0, 5, 8}) assertTrue(java.util.Arrays.binarySearch(t, first) < 0, "position 0 at " + first);
        assertArrayEquals(t, CkaSample.choose(seqs, 6, 0).tokens());
        assertEquals(9, CkaSample.choose(seqs, 100, 0).size(), "3 last + 6 inner tokens in all");
    }
}
