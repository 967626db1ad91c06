package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE model of tokenizers (models/bpe/model.rs and word.rs): characters (or their UTF-8 bytes as
 * {@code <0xNN>} tokens, or unk) merged pair by pair, lowest merge rank first, leftmost on ties.
 */
final class Bpe implements Model {
    private static final int CACHE_WORD_LIMIT = 256;
    private static final int CACHE_ENTRIES = 100_000;

    private final Vocab vocab;
    private final MergeTable merges;
    private final Integer unkId;
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    private final String prefix;
    private final String suffix;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    Bpe(Vocab vocab, MergeTable merges, Integer unkId, boolean fuseUnk, boolean byteFallback, boolean ignoreMerges,
        String prefix, String suffix) {
        this.vocab = vocab;
        this.merges = merges;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        this.prefix = prefix;
        this.suffix = suffix;
    }

    /** The BPE model a tokenizer.json "model" object describes. */
    static Bpe from(JsonNode model, Spec spec) {
        String type = spec.text(model, "type", "model", "BPE");
        if (!type.equals("BPE")) throw spec.fail("unsupported model type \"" + type + "\" (only BPE is supported)");
        JsonNode vocabNode = model.get("vocab");
        if (vocabNode == null || !vocabNode.isObject()) throw spec.fail("model: missing object field \"vocab\"");
        Map<String, Integer> ids = new LinkedHashMap<>(vocabNode.size() * 2);
        // HF reads vocab ids as u32: "-0.5", "x", null, true are refused
        for (Map.Entry<String, JsonNode> e : vocabNode.properties()) {
            ids.put(e.getKey(), spec.index(e.getValue(), "model.vocab[\"" + e.getKey() + "\"]"));
        }
        Vocab vocab = Vocab.of(ids, spec);
        refuseDropout(model.path("dropout"), spec);
        String prefix = spec.text(model, "continuing_subword_prefix", "model", "");
        String suffix = spec.text(model, "end_of_word_suffix", "model", "");
        String unk = spec.text(model, "unk_token", "model", null);
        if (unk != null && vocab.id(unk) == null) throw spec.fail("model: unk_token \"" + unk + "\" is not in the vocab");
        List<String[]> pairs = new ArrayList<>();
        for (JsonNode e : spec.array(model, "merges", "model")) {
            // merges in either form, "a b" or ["a", "b"]
            pairs.add(e.isArray() && e.size() == 2 ? new String[] {e.get(0).asText(), e.get(1).asText()}
                    : e.isTextual() ? e.asText().split(" ", -1) : new String[] {e.toString()});
        }
        return new Bpe(vocab, ranked(pairs, vocab, prefix, spec), unk == null ? null : vocab.id(unk), spec.flag(model, "fuse_unk", "model", false),
                spec.flag(model, "byte_fallback", "model", false), spec.flag(model, "ignore_merges", "model", false), prefix, suffix);
    }

    /**
     * HF refuses a dropout that is not a number in [0, 1]; one above 0 makes its merges random (a training-time option),
     * which Shallow does not reproduce, so only null or 0 is read.
     */
    private static void refuseDropout(JsonNode dropout, Spec spec) {
        if (!dropout.isMissingNode() && !dropout.isNull() && !(dropout.isNumber() && dropout.doubleValue() == 0)) {
            throw spec.fail("model.dropout: " + dropout + " (only null or 0: a dropout makes the merges random)");
        }
    }

    /**
     * The merge rules of a merges list: rank = position in the list (a later duplicate wins); the merged token
     * is left + right without the continuing-subword prefix of the right part.
     */
    static MergeTable ranked(List<String[]> pairs, Vocab vocab, String prefix, Spec spec) {
        MergeTable m = new MergeTable(pairs.size());
        for (int rank = 0; rank < pairs.size(); rank++) {
            String[] pair = pairs.get(rank);
            if (pair.length != 2) throw spec.fail("model: merge " + (rank + 1) + " is not a pair of tokens: " + String.join(" ", pair));
            String merged = pair[0] + pair[1].substring(Math.min(prefix.length(), pair[1].length()));
            Integer a = vocab.id(pair[0]), b = vocab.id(pair[1]), ab = vocab.id(merged);
            if (a == null || b == null || ab == null) {
                String missing = a == null ? pair[0] : b == null ? pair[1] : merged;
                throw spec.fail("model: merge " + (rank + 1) + " references token \"" + missing + "\" that is not in the vocab");
            }
            m.put(a, b, rank, ab);
        }
        return m;
    }

    @Override
    public Vocab vocab() {
        return vocab;
    }

    /** Appends the ids of one pre-tokenized word (BPE::tokenize, with its cache of short words). */
    @Override
    public void tokenize(String word, IntList out) {
        if (word.isEmpty()) return;
        Integer whole = ignoreMerges ? vocab.id(word) : null;
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
            Integer id = vocab.id(s);
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
        int[] ids = symbols.toArray();
        int[] kept = PairMerge.mergeAll(ids, merges);
        int[] out = new int[kept.length];
        for (int i = 0; i < kept.length; i++) out[i] = ids[kept[i]];
        return out;
    }

    /** The {@code <0xNN>} tokens of the UTF-8 bytes of {@code s}, or null when one is missing from the vocab. */
    private int[] byteTokens(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = vocab.byteId(bytes[i] & 0xFF);
            if (ids[i] < 0) return null;
        }
        return ids;
    }
}
