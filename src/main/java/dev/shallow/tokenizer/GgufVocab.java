package dev.shallow.tokenizer;

import dev.shallow.io.GgufFile;
import dev.shallow.io.GgufMetadata;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The tokenizer in a GGUF file's metadata, read with llama.cpp's keys and defaults (llama-vocab.cpp,
 * llama_vocab::impl::load). {@code tokenizer.ggml.model} "llama" is a SentencePiece BPE vocabulary (tokens,
 * scores, token_type; BOS 1, EOS 2, unk 0, add_bos_token true, add_space_prefix true, remove_extra_whitespaces
 * false unless the file says otherwise). "gpt2" is a byte-level BPE (tokens, merges "a b", the pre-tokenizer
 * {@code tokenizer.ggml.pre} names, "default" when absent; no BOS or EOS unless the file names them); its CONTROL and USER_DEFINED tokens are matched in the text as Hugging Face
 * matches added tokens, CONTROL ones are special, and decode writes both as they are (llama.cpp token_to_piece).
 * Other tokenizer models are refused.
 */
final class GgufVocab {
    private static final String PREFIX = "tokenizer.ggml.";

    private GgufVocab() {
    }

    static Tokenizer load(Path file) {
        Spec spec = new Spec(file);
        try (GgufFile gguf = GgufFile.open(file)) {
            GgufMetadata m = gguf.metadata();
            String model = m.string(PREFIX + "model");
            return switch (model) {
                case "llama" -> sentencePiece(m, spec).tokenizer(spec);
                case "gpt2" -> byteLevel(m, spec);
                default -> throw spec.fail(PREFIX + "model '" + model + "' is not supported (llama and gpt2 are)");
            };
        }
    }

    private static SentencePieceVocab sentencePiece(GgufMetadata m, Spec spec) {
        String[] tokens = m.stringArray(PREFIX + "tokens");
        float[] scores = m.has(PREFIX + "scores") ? m.floatArray(PREFIX + "scores") : new float[tokens.length];
        Set<String> all = new HashSet<>(Arrays.asList(tokens));
        boolean allBytes = true;
        for (int b = 0; b < 256; b++) allBytes &= all.contains(Vocab.byteToken(b));
        return new SentencePieceVocab(tokens, scores, types(m, tokens.length, spec),
                id(m, "unknown_token_id", 0, tokens.length, spec).getAsInt(),
                id(m, "bos_token_id", 1, tokens.length, spec), id(m, "eos_token_id", 2, tokens.length, spec),
                allBytes, flag(m, "add_space_prefix", true), flag(m, "remove_extra_whitespaces", false), true,
                SentencePieceVocab.DEFAULT_UNK_SURFACE, flag(m, "add_bos_token", true), flag(m, "add_eos_token", false));
    }

    private static Tokenizer byteLevel(GgufMetadata m, Spec spec) {
        String[] tokens = m.stringArray(PREFIX + "tokens");
        PieceType[] types = types(m, tokens.length, spec);
        Vocab vocab = Vocab.of(tokens, spec);
        List<String[]> pairs = new ArrayList<>();
        for (String merge : m.stringArray(PREFIX + "merges")) {
            // llama.cpp splits at the first space after the first character
            int space = merge.indexOf(' ', 1);
            pairs.add(space < 0 ? new String[] {merge} : new String[] {merge.substring(0, space), merge.substring(space + 1)});
        }
        Bpe bpe = new Bpe(vocab, Bpe.ranked(pairs, vocab, "", spec), null, false, false, false, "", "");
        List<AddedTokens.Token> added = new ArrayList<>();
        Set<String> verbatim = new HashSet<>();
        BitSet special = new BitSet();
        for (int id = 0; id < tokens.length; id++) {
            if (types[id] != PieceType.CONTROL && types[id] != PieceType.USER_DEFINED) continue;
            added.add(AddedTokens.Token.plain(id, tokens[id], types[id] == PieceType.CONTROL));
            verbatim.add(tokens[id]);
            if (types[id] == PieceType.CONTROL) special.set(id);
        }
        OptionalInt bos = id(m, "bos_token_id", -1, tokens.length, spec);
        OptionalInt eos = id(m, "eos_token_id", -1, tokens.length, spec);
        return new Tokenizer(spec.file(), null, AddedTokens.of(added), GgufPreTokenizers.of(m.has(PREFIX + "pre") ? m.string(PREFIX + "pre") : "default", spec), bpe,
                PostProcessor.Template.around(flag(m, "add_bos_token", false) ? bos : OptionalInt.empty(),
                        flag(m, "add_eos_token", false) ? eos : OptionalInt.empty()),
                new Decoder.ByteLevel(verbatim), special, bos, eos);
    }

    /** tokenizer.ggml.token_type, one of the SentencePiece types per token; all NORMAL when absent. */
    private static PieceType[] types(GgufMetadata m, int count, Spec spec) {
        PieceType[] types = new PieceType[count];
        Arrays.fill(types, PieceType.NORMAL);
        if (!m.has(PREFIX + "token_type")) return types;
        int[] codes = m.intArray(PREFIX + "token_type");
        if (codes.length != count) throw spec.fail(PREFIX + "token_type has " + codes.length + " entries for " + count + " tokens");
        for (int id = 0; id < count; id++) {
            types[id] = PieceType.of(codes[id]);
            if (types[id] == null) throw spec.fail(PREFIX + "token_type of token " + id + " is " + codes[id] + ", not a token type 1-6");
        }
        return types;
    }

    /** A special token id key, or {@code fallback} (-1: none) when absent; an id outside the vocabulary is an error. */
    private static OptionalInt id(GgufMetadata m, String key, int fallback, int count, Spec spec) {
        long id = m.has(PREFIX + key) ? m.longValue(PREFIX + key) : fallback;
        if (id >= count) throw spec.fail(PREFIX + key + " " + id + " is not in the vocabulary of " + count + " tokens");
        return id < 0 ? OptionalInt.empty() : OptionalInt.of((int) id);
    }

    private static boolean flag(GgufMetadata m, String key, boolean fallback) {
        return m.has(PREFIX + key) ? m.bool(PREFIX + key) : fallback;
    }
}
