package dev.shallow.tokenizer;

import dev.shallow.ShallowException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.OptionalInt;

/**
 * Text to token ids and back, for the BPE tokenizers of the model families: encode cuts out added tokens,
 * normalizes, pre-tokenizes and runs the model (then the post-processor adds BOS/EOS); decode runs the
 * decoder chain. Three sources describe one: a Hugging Face {@code tokenizer.json} ({@link TokenizerJsonReader}:
 * SentencePiece-style BPE with byte fallback, byte-level BPE of GPT-2, Llama 3, Qwen2), a SentencePiece
 * {@code tokenizer.model} ({@link SentencePieceModel}, BPE models) and the vocabulary of a GGUF file
 * ({@link GgufVocab}). Thread-safe.
 */
public final class Tokenizer {
    private final Path file;
    private final Normalizer textNormalizer;
    private final AddedTokens added;
    private final PreTokenizer preTokenizer;
    private final Model model;
    private final PostProcessor postProcessor;
    private final Decoder decoder;
    private final BitSet special;
    private final OptionalInt bos;
    private final OptionalInt eos;

    /**
     * {@code textNormalizer} rewrites the whole input before added tokens are cut out (SentencePiece normalizes
     * first; tokenizers normalizes each segment between added tokens, inside {@link AddedTokens}). Null
     * parts are absent; {@code special} holds the ids decode drops when asked to.
     */
    Tokenizer(Path file, Normalizer textNormalizer, AddedTokens added, PreTokenizer preTokenizer, Model model,
              PostProcessor postProcessor, Decoder decoder, BitSet special, OptionalInt bos, OptionalInt eos) {
        this.file = file;
        this.textNormalizer = textNormalizer;
        this.added = added;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.postProcessor = postProcessor;
        this.decoder = decoder;
        this.special = special;
        this.bos = bos;
        this.eos = eos;
    }

    /**
     * Loads a tokenizer file by its name: {@code *.json} (tokenizer.json), {@code *.gguf}, anything else a
     * SentencePiece model (tokenizer.model, tokenizer.model.v3). In a model directory: {@code tokenizer.json},
     * else {@code tokenizer.model}. A {@code tokenizer_config.json} next to a JSON or SentencePiece file
     * supplies bos/eos tokens and add_bos_token / add_eos_token.
     */
    public static Tokenizer load(Path fileOrModelDir) {
        Path file = Files.isDirectory(fileOrModelDir) ? inModelDir(fileOrModelDir) : fileOrModelDir;
        String name = file.getFileName().toString();
        if (name.endsWith(".json")) return TokenizerJsonReader.load(file);
        if (name.endsWith(".gguf")) return GgufVocab.load(file);
        return SentencePieceModel.load(file);
    }

    static Path inModelDir(Path dir) {
        for (String name : List.of("tokenizer.json", "tokenizer.model")) {
            if (Files.isRegularFile(dir.resolve(name))) return dir.resolve(name);
        }
        throw ShallowException.at(dir.resolve("tokenizer.json"), "file not found, nor tokenizer.model");
    }

    /** This tokenizer with another pre-tokenizer (choosing a GGUF's tokenizer.ggml.pre by behaviour). */
    Tokenizer withPreTokenizer(PreTokenizer p) {
        return new Tokenizer(file, textNormalizer, added, p, model, postProcessor, decoder, special, bos, eos);
    }

    /** The file this tokenizer was read from. */
    public Path file() {
        return file;
    }

    /** Token ids of {@code text}; with {@code addSpecialTokens} the post-processor's template (e.g. BOS) is applied. */
    public int[] encode(String text, boolean addSpecialTokens) {
        IntList ids = new IntList();
        List<PreTokenizer.Piece> words = new ArrayList<>();
        for (AddedTokens.Segment s : added.split(textNormalizer == null ? text : textNormalizer.normalize(text))) {
            if (s.tokenId() >= 0) {
                ids.add(s.tokenId());
                continue;
            }
            words.clear();
            if (preTokenizer == null) words.add(s.piece());
            else preTokenizer.split(s.piece(), words);
            for (PreTokenizer.Piece w : words) model.tokenize(w.text(), ids);
        }
        int[] out = ids.toArray();
        return addSpecialTokens && postProcessor != null ? postProcessor.process(out) : out;
    }

    /** The text of {@code ids}; special tokens dropped when {@code skipSpecialTokens}; unknown ids are skipped (as tokenizers does). */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            String token = tokenOrNull(id);
            if (token != null && !(skipSpecialTokens && isSpecial(id))) tokens.add(token);
        }
        return decoder == null ? String.join(" ", tokens) : String.join("", decoder.decodeChain(tokens));
    }

    /** The beginning-of-sequence id, if the tokenizer names one. */
    public OptionalInt bosId() {
        return bos;
    }

    /** The end-of-sequence id, if the tokenizer names one. */
    public OptionalInt eosId() {
        return eos;
    }

    /** One more than the largest id (model vocab and added tokens). */
    public int vocabSize() {
        int size = model.vocab().size();
        for (AddedTokens.Token t : added.all()) size = Math.max(size, t.id() + 1);
        return size;
    }

    /** The token string of {@code id} (added tokens first, then the model's vocab). */
    public String tokenText(int id) {
        String token = tokenOrNull(id);
        if (token == null) throw new IllegalArgumentException("no token with id " + id + " in " + file);
        return token;
    }

    /** The id of the token string {@code token} (added tokens first, then the model's vocab). */
    public OptionalInt idOf(String token) {
        return idOf(token, added, model.vocab());
    }

    static OptionalInt idOf(String token, AddedTokens added, Vocab vocab) {
        AddedTokens.Token a = added.byContent(token);
        Integer id = a != null ? Integer.valueOf(a.id()) : vocab.id(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Whether {@code id} is a special token (dropped by decode with skipSpecialTokens). */
    public boolean isSpecial(int id) {
        return id >= 0 && special.get(id);
    }

    /** tokenizers id_to_token: the added token, else the model's, else null. */
    private String tokenOrNull(int id) {
        AddedTokens.Token a = added.byId(id);
        return a != null ? a.content() : model.vocab().token(id);
    }
}
