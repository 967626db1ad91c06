package dev.shallow.tokenizer;

import java.util.Arrays;

/**
 * The merge loop BPE models share (tokenizers word.rs Word::merge_all; sentencepiece bpe_model.cc and llama.cpp
 * llm_tokenizer_spm do the same by score): repeatedly merge the adjacent pair with the best (lowest) priority,
 * the leftmost on ties, using a heap of (priority, position) over a doubly linked symbol list; heap entries whose
 * pair has changed since are skipped. O(n log n) in the number of symbols.
 */
final class PairMerge {
    private PairMerge() {
    }

    /** Merges {@code ids} in place; returns the positions of the symbols that remain, in order. */
    static int[] mergeAll(int[] ids, MergeTable rules) {
        int n = ids.length;
        int[] prev = new int[n];
        int[] next = new int[n];
        boolean[] removed = new boolean[n];
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            if (i + 1 < n) push(heap, rules, ids, i, i + 1);
        }
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int pos = (int) top;
            int priority = (int) (top >>> 32);
            if (removed[pos] || next[pos] < 0) continue;
            int right = next[pos];
            long rule = rules.get(ids[pos], ids[right]);
            if (rule < 0 || MergeTable.priority(rule) != priority) continue;
            ids[pos] = MergeTable.merged(rule);
            removed[right] = true;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) push(heap, rules, ids, prev[pos], pos);
            if (next[pos] >= 0) push(heap, rules, ids, pos, next[pos]);
        }
        int[] kept = new int[n];
        int k = 0;
        for (int i = 0; i < n; i++) if (!removed[i]) kept[k++] = i;
        return Arrays.copyOf(kept, k);
    }

    private static void push(LongHeap heap, MergeTable rules, int[] ids, int left, int right) {
        long rule = rules.get(ids[left], ids[right]);
        if (rule >= 0) heap.push((long) MergeTable.priority(rule) << 32 | left);
    }

    /** A binary min-heap of longs. */
    private static final class LongHeap {
        private long[] a;
        private int n;

        LongHeap(int capacity) {
            a = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return n == 0;
        }

        void push(long v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            int i = n++;
            while (i > 0 && a[(i - 1) / 2] > v) {
                a[i] = a[(i - 1) / 2];
                i = (i - 1) / 2;
            }
            a[i] = v;
        }

        long pop() {
            long top = a[0];
            long last = a[--n];
            int i = 0;
            while (2 * i + 1 < n) {
                int c = 2 * i + 1;
                if (c + 1 < n && a[c + 1] < a[c]) c++;
                if (a[c] >= last) break;
                a[i] = a[c];
                i = c;
            }
            a[i] = last;
            return top;
        }
    }
}
