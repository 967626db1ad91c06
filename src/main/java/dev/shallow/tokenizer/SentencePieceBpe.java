package dev.shallow.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * SentencePiece's BPE model (bpe_model.cc Model::SampleEncode without dropout; llama.cpp's llm_tokenizer_spm is the
 * same): the text's characters are merged pair by pair, each time the adjacent pair whose concatenation is a
 * NORMAL, USER_DEFINED or UNUSED piece of the highest score, the leftmost on ties. A symbol left that is no piece
 * becomes its UTF-8 byte pieces with byte fallback, else the unk id, once per run of them
 * (sentencepiece_processor.cc PopulateSentencePieceText).
 * <p>
 * The rules are precomputed as a {@link MergeTable}: every split of every mergeable piece into two symbols, with
 * the piece's score rank (equal scores share a rank, so ties go to the leftmost pair as in sentencepiece). A
 * character that occurs inside pieces without being a piece itself still merges, as a symbol numbered after the
 * vocabulary. Linear in the total length of the pieces: a 262k-piece vocabulary loads in one pass.
 */
final class SentencePieceBpe implements Model {
    private final Vocab vocab;
    private final MergeTable rules;
    /** Code points that are no piece but occur inside mergeable pieces -> their symbol (vocab.size() and up). */
    private final Map<Integer, Integer> charSymbols;
    private final int unkId;
    private final boolean byteFallback;

    private SentencePieceBpe(Vocab vocab, MergeTable rules, Map<Integer, Integer> charSymbols, int unkId, boolean byteFallback) {
        this.vocab = vocab;
        this.rules = rules;
        this.charSymbols = charSymbols;
        this.unkId = unkId;
        this.byteFallback = byteFallback;
    }

    static SentencePieceBpe of(Vocab vocab, float[] scores, PieceType[] types, int unkId, boolean byteFallback, Spec spec) {
        int[] rank = scoreRanks(scores, types, spec);
        int splits = 0;
        for (int id = 0; id < types.length; id++) {
            if (types[id].mergeable()) splits += vocab.token(id).codePointCount(0, vocab.token(id).length()) - 1;
        }
        MergeTable rules = new MergeTable(splits);
        Map<Integer, Integer> charSymbols = new HashMap<>();
        for (int id = 0; id < types.length; id++) {
            if (!types[id].mergeable()) continue;
            String piece = vocab.token(id);
            for (int at = piece.offsetByCodePoints(0, 1); at < piece.length(); at += Character.charCount(piece.codePointAt(at))) {
                int left = symbol(piece.substring(0, at), vocab, types, charSymbols);
                int right = symbol(piece.substring(at), vocab, types, charSymbols);
                if (left < 0 || right < 0) continue;
                if (types[id] == PieceType.UNUSED) {
                    throw spec.fail("UNUSED piece \"" + piece + "\" (id " + id + ") can be formed by a merge; sentencepiece re-splits"
                            + " such pieces, which is not supported");
                }
                rules.put(left, right, rank[id], id);
            }
        }
        return new SentencePieceBpe(vocab, rules, charSymbols, unkId, byteFallback);
    }

    /**
     * The symbol a merge half can be: a single character (its piece of any type, or a character symbol), or a
     * longer mergeable piece (longer symbols only arise from merges); -1 otherwise.
     */
    private static int symbol(String s, Vocab vocab, PieceType[] types, Map<Integer, Integer> charSymbols) {
        Integer id = vocab.id(s);
        if (s.codePointCount(0, s.length()) > 1) return id != null && types[id].mergeable() ? id : -1;
        return id != null ? id : charSymbols.computeIfAbsent(s.codePointAt(0), cp -> vocab.size() + charSymbols.size());
    }

    /** Each mergeable piece's place among the distinct scores, highest first; -0.0 equals 0.0 as in C++. */
    private static int[] scoreRanks(float[] scores, PieceType[] types, Spec spec) {
        float[] distinct = new float[scores.length];
        int n = 0;
        for (int id = 0; id < scores.length; id++) {
            if (Float.isNaN(scores[id])) throw spec.fail("piece " + id + " has score NaN");
            if (types[id].mergeable()) distinct[n++] = scores[id] + 0.0f;
        }
        Arrays.sort(distinct, 0, n);
        int unique = 0;
        for (int i = 0; i < n; i++) if (unique == 0 || distinct[i] != distinct[unique - 1]) distinct[unique++] = distinct[i];
        distinct = Arrays.copyOf(distinct, unique);
        int[] rank = new int[scores.length];
        for (int id = 0; id < scores.length; id++) {
            if (types[id].mergeable()) rank[id] = distinct.length - 1 - Arrays.binarySearch(distinct, scores[id] + 0.0f);
        }
        return rank;
    }

    @Override
    public Vocab vocab() {
        return vocab;
    }

    @Override
    public void tokenize(String text, IntList out) {
        int[] codePoints = text.codePoints().toArray();
        int[] ids = new int[codePoints.length];
        for (int i = 0; i < ids.length; i++) {
            Integer id = vocab.id(Character.toString(codePoints[i]));
            ids[i] = id != null ? id : charSymbols.getOrDefault(codePoints[i], -1);
        }
        boolean previousUnknown = false;
        for (int pos : PairMerge.mergeAll(ids, rules)) {
            boolean known = ids[pos] >= 0 && ids[pos] < vocab.size();
            if (known) {
                out.add(ids[pos]);
            } else if (byteFallback) {
                for (byte b : Character.toString(codePoints[pos]).getBytes(StandardCharsets.UTF_8)) out.add(vocab.byteId(b & 0xFF));
            } else if (!previousUnknown) {
                out.add(unkId);
            }
            previousUnknown = !known;
        }
    }
}
