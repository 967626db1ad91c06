package dev.shallow.tokenizer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A SentencePiece BPE vocabulary and the options that shape its text, as a {@code tokenizer.model} (ModelProto)
 * or a GGUF with {@code tokenizer.ggml.model = llama} holds them; {@link #tokenizer} builds the pipeline
 * sentencepiece runs: normalize the whole text, cut out USER_DEFINED pieces (matched longest first and never
 * merged: bpe_model.cc PrefixMatcher), BPE the rest by score, add BOS/EOS; decode as sentencepiece decodes.
 * CONTROL pieces are never read from the text; they and UNKNOWN pieces are the special tokens.
 */
record SentencePieceVocab(String[] pieces, float[] scores, PieceType[] types, int unkId, OptionalInt bos, OptionalInt eos,
                          boolean byteFallback, boolean addDummyPrefix, boolean removeExtraWhitespaces, boolean escapeWhitespaces,
                          String unkSurface, boolean addBos, boolean addEos) {
    /** sentencepiece_model.proto TrainerSpec.unk_surface default: " ⁇ ". */
    static final String DEFAULT_UNK_SURFACE = " \u2047 ";

    Tokenizer tokenizer(Spec spec) {
        if (scores.length != pieces.length || types.length != pieces.length) {
            throw spec.fail(pieces.length + " pieces but " + scores.length + " scores and " + types.length + " types");
        }
        Vocab vocab = Vocab.of(pieces, spec);
        if (byteFallback && !vocab.hasAllBytes()) throw spec.fail("byte fallback is on but not all 256 byte pieces <0x00>..<0xFF> are present");
        for (OptionalInt id : List.of(bos, eos, OptionalInt.of(unkId))) {
            if (id.isPresent() && (id.getAsInt() < 0 || id.getAsInt() >= pieces.length)) {
                throw spec.fail("special token id " + id.getAsInt() + " is not in the vocabulary of " + pieces.length);
            }
        }
        List<AddedTokens.Token> userDefined = new ArrayList<>();
        Map<String, PieceType> reserved = new HashMap<>();
        BitSet special = new BitSet();
        for (int id = 0; id < pieces.length; id++) {
            if (types[id] == PieceType.BYTE && !pieces[id].matches("<0x[0-9A-F]{2}>")) {
                throw spec.fail("BYTE piece \"" + pieces[id] + "\" (id " + id + ") is not of the form <0xNN>");
            }
            if (types[id] == PieceType.USER_DEFINED) userDefined.add(AddedTokens.Token.plain(id, pieces[id], false));
            if (types[id] == PieceType.CONTROL || types[id] == PieceType.UNKNOWN) special.set(id);
            if (special.get(id) || types[id] == PieceType.BYTE) reserved.put(pieces[id], types[id]);
        }
        return new Tokenizer(spec.file(),
                new Normalizer.SentencePiece(addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces),
                AddedTokens.of(userDefined),
                null,
                SentencePieceBpe.of(vocab, scores, types, unkId, byteFallback, spec),
                PostProcessor.Template.around(addBos ? bos : OptionalInt.empty(), addEos ? eos : OptionalInt.empty()),
                new Decoder.SentencePiece(reserved, unkSurface, addDummyPrefix, removeExtraWhitespaces),
                special, bos, eos);
    }
}
