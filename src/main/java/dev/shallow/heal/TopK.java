package dev.shallow.heal;

/** The k largest of a row of floats, largest first (on ties the lower index first). */
final class TopK {
    private TopK() {
    }

    /** The k largest of x[off .. off + n): their indices (0-based in the row) into ids and values into values, from {@code at}. */
    static void select(float[] x, int off, int n, int k, int[] ids, float[] values, int at) {
        int size = 0;
        for (int j = 0; j < n; j++) {
            float v = x[off + j];
            if (size == k && !(v > values[at + k - 1])) continue;
            int i = Math.min(size, k - 1); // insertion sort into the kept, descending; equal values stay in index order
            while (i > 0 && v > values[at + i - 1]) {
                values[at + i] = values[at + i - 1];
                ids[at + i] = ids[at + i - 1];
                i--;
            }
            values[at + i] = v;
            ids[at + i] = j;
            if (size < k) size++;
        }
    }
}
