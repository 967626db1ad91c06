package dev.shallow.tokenizer;

import java.util.Arrays;

/**
 * Pair rules for {@link PairMerge}: (left symbol, right symbol) -> (priority, merged symbol), lower priority first.
 * Open addressing over longs, so 262k-token vocabularies with their merges stay small and fast.
 */
final class MergeTable {
    private final long[] keys;
    private final long[] values;
    private final int mask;

    MergeTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        Arrays.fill(keys, -1);
        mask = capacity - 1;
    }

    static int priority(long rule) {
        return (int) (rule >>> 32);
    }

    static int merged(long rule) {
        return (int) rule;
    }

    /** The rule for the pair as (priority << 32 | merged), or -1 (also for negative symbols, which have no rules). */
    long get(int left, int right) {
        if (left < 0 || right < 0) return -1;
        long key = (long) left << 32 | right;
        for (int i = slot(key); ; i = (i + 1) & mask) {
            if (keys[i] == key) return values[i];
            if (keys[i] == -1) return -1;
        }
    }

    /** Sets the rule for the pair (a later rule for the same pair replaces the earlier one). */
    void put(int left, int right, int priority, int merged) {
        long key = (long) left << 32 | right;
        int i = slot(key);
        while (keys[i] != -1 && keys[i] != key) i = (i + 1) & mask;
        keys[i] = key;
        values[i] = (long) priority << 32 | merged;
    }

    private int slot(long key) {
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> 32) & mask;
    }
}
