package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE model of tokenizers (models/bpe/model.rs and word.rs): characters (or their UTF-8 bytes as
 * {@code <0xNN>} tokens, or unk) merged pair by pair, lowest merge rank first, leftmost on ties.
 * "dropout" (a training-time option) is ignored.
 */
final class Bpe {
    private static final int CACHE_WORD_LIMIT = 256;
    private static final int CACHE_ENTRIES = 100_000;

    private final Map<String, Integer> vocab;
    private final String[] tokens;
    private final int[] byteIds = new int[256];
    private final Merges merges;
    private final Integer unkId;
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    private final String prefix;
    private final String suffix;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    private Bpe(Map<String, Integer> vocab, Merges merges, Integer unkId, boolean fuseUnk, boolean byteFallback,
                boolean ignoreMerges, String prefix, String suffix) {
        this.vocab = vocab;
        this.merges = merges;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        this.prefix = prefix;
        this.suffix = suffix;
        int size = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        this.tokens = new String[size];
        vocab.forEach((token, id) -> tokens[id] = token);
        for (int b = 0; b < 256; b++) byteIds[b] = vocab.getOrDefault(String.format("<0x%02X>", b), -1);
    }

    /** The BPE model a tokenizer.json "model" object describes. */
    static Bpe from(JsonNode model, Spec spec) {
        String type = spec.text(model, "type", "model", "BPE");
        if (!type.equals("BPE")) throw spec.fail("unsupported model type \"" + type + "\" (only BPE is supported)");
        JsonNode vocabNode = model.get("vocab");
        if (vocabNode == null || !vocabNode.isObject()) throw spec.fail("model: missing object field \"vocab\"");
        Map<String, Integer> vocab = new HashMap<>(vocabNode.size() * 2);
        for (Map.Entry<String, JsonNode> e : vocabNode.properties()) {
            if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0) throw spec.fail("model: vocab entry \"" + e.getKey() + "\" has no valid id");
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        String prefix = spec.text(model, "continuing_subword_prefix", "model", "");
        String suffix = spec.text(model, "end_of_word_suffix", "model", "");
        String unk = spec.text(model, "unk_token", "model", null);
        if (unk != null && !vocab.containsKey(unk)) throw spec.fail("model: unk_token \"" + unk + "\" is not in the vocab");
        return new Bpe(vocab, Merges.from(spec.array(model, "merges", "model"), vocab, prefix, spec),
                unk == null ? null : vocab.get(unk), spec.flag(model, "fuse_unk", false),
                spec.flag(model, "byte_fallback", false), spec.flag(model, "ignore_merges", false), prefix, suffix);
    }

    /** One more than the largest id of the vocab. */
    int size() {
        return tokens.length;
    }

    Integer idOf(String token) {
        return vocab.get(token);
    }

    /** The token of {@code id}, or null. */
    String token(int id) {
        return id >= 0 && id < tokens.length ? tokens[id] : null;
    }

    /** Appends the ids of one pre-tokenized word (BPE::tokenize, with its cache of short words). */
    void tokenize(String word, IntList out) {
        if (word.isEmpty()) return;
        Integer whole = ignoreMerges ? vocab.get(word) : null;
        if (whole != null) {
            out.add(whole);
            return;
        }
        int[] ids = cache.get(word);
        if (ids == null) {
            ids = merge(word);
            if (word.length() < CACHE_WORD_LIMIT) {
                if (cache.size() >= CACHE_ENTRIES) cache.clear();
                cache.put(word, ids);
            }
        }
        out.addAll(ids);
    }

    /** BPE::merge_word: the word's initial symbols, then Word::merge_all. */
    private int[] merge(String word) {
        IntList symbols = new IntList();
        boolean unkPending = false;
        for (int i = 0; i < word.length(); ) {
            int end = i + Character.charCount(word.codePointAt(i));
            String s = word.substring(i, end);
            if (i > 0) s = prefix + s;
            if (end == word.length()) s = s + suffix;
            i = end;
            Integer id = vocab.get(s);
            if (id != null) {
                if (unkPending) symbols.add(unkId);
                unkPending = false;
                symbols.add(id);
                continue;
            }
            int[] bytes = byteFallback ? byteTokens(s) : null;
            if (bytes != null) {
                symbols.addAll(bytes);
            } else if (unkId != null) {
                if (unkPending && !fuseUnk) symbols.add(unkId);
                unkPending = true;
            }
        }
        if (unkPending) symbols.add(unkId);
        return mergeAll(symbols.toArray());
    }

    /** The {@code <0xNN>} tokens of the UTF-8 bytes of {@code s}, or null when one is missing from the vocab. */
    private int[] byteTokens(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = byteIds[bytes[i] & 0xFF];
            if (ids[i] < 0) return null;
        }
        return ids;
    }

    /**
     * Word::merge_all: a heap of (rank, position) over adjacent pairs of a doubly linked symbol list;
     * stale heap entries (the pair changed since) are skipped.
     */
    private int[] mergeAll(int[] ids) {
        int n = ids.length;
        int[] prev = new int[n];
        int[] next = new int[n];
        boolean[] removed = new boolean[n];
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            if (i + 1 < n) pushPair(heap, ids, i, i + 1);
        }
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int pos = (int) top;
            int rank = (int) (top >>> 32);
            if (removed[pos] || next[pos] < 0) continue;
            int right = next[pos];
            long merge = merges.get(ids[pos], ids[right]);
            if (merge < 0 || Merges.rank(merge) != rank) continue;
            ids[pos] = Merges.newId(merge);
            removed[right] = true;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) pushPair(heap, ids, prev[pos], pos);
            if (next[pos] >= 0) pushPair(heap, ids, pos, next[pos]);
        }
        IntList out = new IntList();
        for (int i = 0; i < n; i++) if (!removed[i]) out.add(ids[i]);
        return out.toArray();
    }

    private void pushPair(LongHeap heap, int[] ids, int left, int right) {
        long merge = merges.get(ids[left], ids[right]);
        if (merge >= 0) heap.push((long) Merges.rank(merge) << 32 | left);
    }

    /** The merge table: (left id, right id) -> (rank, merged id), open addressing over longs. */
    private static final class Merges {
        private final long[] keys;
        private final long[] values;
        private final int mask;

        private Merges(int count) {
            int capacity = Integer.highestOneBit(Math.max(4, count * 2 - 1)) << 1;
            keys = new long[capacity];
            values = new long[capacity];
            Arrays.fill(keys, -1);
            mask = capacity - 1;
        }

        /** Merges in either form, "a b" or ["a", "b"]; rank = position in the list (a later duplicate wins). */
        static Merges from(JsonNode list, Map<String, Integer> vocab, String prefix, Spec spec) {
            Merges m = new Merges(list.size());
            for (int rank = 0; rank < list.size(); rank++) {
                JsonNode e = list.get(rank);
                String[] pair = e.isArray() && e.size() == 2 ? new String[] {e.get(0).asText(), e.get(1).asText()}
                        : e.isTextual() ? e.asText().split(" ", -1) : new String[0];
                if (pair.length != 2) throw spec.fail("model: merge " + (rank + 1) + " is not a pair of tokens: " + e);
                String merged = pair[0] + pair[1].substring(Math.min(prefix.length(), pair[1].length()));
                Integer a = vocab.get(pair[0]), b = vocab.get(pair[1]), ab = vocab.get(merged);
                if (a == null || b == null || ab == null) {
                    String missing = a == null ? pair[0] : b == null ? pair[1] : merged;
                    throw spec.fail("model: merge " + (rank + 1) + " references token \"" + missing + "\" that is not in the vocab");
                }
                m.put((long) a << 32 | b, (long) rank << 32 | ab);
            }
            return m;
        }

        static int rank(long value) {
            return (int) (value >>> 32);
        }

        static int newId(long value) {
            return (int) value;
        }

        /** The (rank, merged id) of the pair, or -1. */
        long get(int a, int b) {
            long key = (long) a << 32 | b;
            for (int i = slot(key); ; i = (i + 1) & mask) {
                if (keys[i] == key) return values[i];
                if (keys[i] == -1) return -1;
            }
        }

        private void put(long key, long value) {
            int i = slot(key);
            while (keys[i] != -1 && keys[i] != key) i = (i + 1) & mask;
            keys[i] = key;
            values[i] = value;
        }

        private int slot(long key) {
            return (int) ((key * 0x9E3779B97F4A7C15L) >>> 32) & mask;
        }
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
