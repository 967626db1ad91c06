package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.ShallowException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A Hugging Face {@code tokenizer.json} with a BPE model, read as the Rust tokenizers library does:
 * added tokens cut out, normalizer, pre-tokenizer, BPE, post-processor (encode); decoder chain (decode).
 * Sentencepiece-style (byte fallback, Metaspace or Prepend/Replace) and byte-level (GPT-2, Llama-3,
 * Qwen2) tokenizers are both supported. "truncation" and "padding" are ignored: they are batching
 * settings, not part of the text-to-ids mapping. Thread-safe.
 */
public final class Tokenizer {
    /** Tokenizer classes whose transformers implementation rebuilds the template from add_bos_token/add_eos_token. */
    private static final Set<String> LLAMA_CLASSES = Set.of("LlamaTokenizer", "LlamaTokenizerFast",
            "CodeLlamaTokenizer", "CodeLlamaTokenizerFast", "GemmaTokenizer", "GemmaTokenizerFast");
    private static final List<String> BOS_NAMES = List.of("<s>", "<|begin_of_text|>", "<bos>", "<|startoftext|>");
    private static final List<String> EOS_NAMES = List.of("</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>");

    private final Path file;
    private final Bpe bpe;
    private final AddedTokens added;
    private final PreTokenizer preTokenizer;
    private final PostProcessor postProcessor;
    private final Decoder decoder;
    private final OptionalInt bos;
    private final OptionalInt eos;

    private Tokenizer(Path file, JsonNode root, JsonNode config) {
        Spec spec = new Spec(file);
        this.file = file;
        JsonNode model = root.get("model");
        if (model == null || !model.isObject()) throw spec.fail("missing \"model\"");
        Normalizer normalizer = present(root, "normalizer") ? Normalizer.from(root.get("normalizer"), spec) : null;
        this.preTokenizer = present(root, "pre_tokenizer") ? PreTokenizer.from(root.get("pre_tokenizer"), spec) : null;
        this.bpe = Bpe.from(model, spec);
        this.added = AddedTokens.from(root.get("added_tokens"), normalizer, spec);
        this.decoder = present(root, "decoder") ? Decoder.from(root.get("decoder"), spec) : null;
        PostProcessor fromFile = present(root, "post_processor") ? PostProcessor.from(root.get("post_processor"), spec) : null;
        OptionalInt configBos = configToken(config, "bos_token");
        OptionalInt configEos = configToken(config, "eos_token");
        this.postProcessor = LLAMA_CLASSES.contains(config.path("tokenizer_class").asText())
                ? llamaTemplate(config, configBos, configEos) : fromFile;
        this.bos = firstPresent(configBos, templateId(true), named(BOS_NAMES));
        this.eos = firstPresent(configEos, templateId(false), named(EOS_NAMES));
    }

    /**
     * Loads {@code tokenizer.json}, or the one inside a model directory; a {@code tokenizer_config.json}
     * next to it supplies bos/eos tokens.
     */
    public static Tokenizer load(Path tokenizerJsonOrModelDir) {
        Path file = Files.isDirectory(tokenizerJsonOrModelDir) ? tokenizerJsonOrModelDir.resolve("tokenizer.json") : tokenizerJsonOrModelDir;
        JsonNode root = readJson(file);
        Path configFile = file.resolveSibling("tokenizer_config.json");
        JsonNode config = Files.isRegularFile(configFile) ? readJson(configFile) : new ObjectMapper().createObjectNode();
        return new Tokenizer(file, root, config);
    }

    private static JsonNode readJson(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw ShallowException.at(file, "file not found");
        } catch (IOException e) {
            throw ShallowException.at(file, "not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) throw ShallowException.at(file, "not a JSON object");
        return root;
    }

    /** The file this tokenizer was read from. */
    public Path file() {
        return file;
    }

    /** Token ids of {@code text}; with {@code addSpecialTokens} the post-processor's template (e.g. BOS) is applied. */
    public int[] encode(String text, boolean addSpecialTokens) {
        IntList ids = new IntList();
        List<PreTokenizer.Piece> words = new ArrayList<>();
        for (AddedTokens.Segment s : added.split(text)) {
            if (s.tokenId() >= 0) {
                ids.add(s.tokenId());
                continue;
            }
            words.clear();
            if (preTokenizer == null) words.add(s.piece());
            else preTokenizer.split(s.piece(), words);
            for (PreTokenizer.Piece w : words) bpe.tokenize(w.text(), ids);
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

    /** The beginning-of-sequence id: tokenizer_config.json's bos_token, else the template's first special token, else a conventional name. */
    public OptionalInt bosId() {
        return bos;
    }

    /** The end-of-sequence id: tokenizer_config.json's eos_token, else the template's last special token, else a conventional name. */
    public OptionalInt eosId() {
        return eos;
    }

    /** One more than the largest id (model vocab and added tokens). */
    public int vocabSize() {
        int size = bpe.size();
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
        AddedTokens.Token a = added.byContent(token);
        Integer id = a != null ? Integer.valueOf(a.id()) : bpe.idOf(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Whether {@code id} is an added token marked special (dropped by decode with skipSpecialTokens). */
    public boolean isSpecial(int id) {
        AddedTokens.Token a = added.byId(id);
        return a != null && a.special();
    }

    /** tokenizers id_to_token: the added token, else the model's, else null. */
    private String tokenOrNull(int id) {
        AddedTokens.Token a = added.byId(id);
        return a != null ? a.content() : bpe.token(id);
    }

    private static boolean present(JsonNode root, String field) {
        return root.has(field) && !root.get(field).isNull();
    }

    /** bos_token/eos_token of tokenizer_config.json: a string or {"content": ...}. */
    private OptionalInt configToken(JsonNode config, String field) {
        JsonNode v = config.get(field);
        String name = v == null ? null : v.isTextual() ? v.asText() : v.path("content").asText(null);
        return name == null ? OptionalInt.empty() : idOf(name);
    }

    /** transformers LlamaTokenizerFast.update_post_processor: [bos if add_bos_token] $A [eos if add_eos_token]. */
    private static PostProcessor llamaTemplate(JsonNode config, OptionalInt bos, OptionalInt eos) {
        List<int[]> before = new ArrayList<>(), after = new ArrayList<>();
        if (config.path("add_bos_token").asBoolean(true) && bos.isPresent()) before.add(new int[] {bos.getAsInt()});
        if (config.path("add_eos_token").asBoolean(false) && eos.isPresent()) after.add(new int[] {eos.getAsInt()});
        return new PostProcessor.Template(before, after);
    }

    /** The single id of the template's first special token before $A, or last one after it. */
    private OptionalInt templateId(boolean beforeSequence) {
        if (postProcessor == null) return OptionalInt.empty();
        List<int[]> side = beforeSequence ? postProcessor.before() : postProcessor.after();
        if (side.isEmpty()) return OptionalInt.empty();
        int[] ids = beforeSequence ? side.getFirst() : side.getLast();
        return ids.length == 1 ? OptionalInt.of(ids[0]) : OptionalInt.empty();
    }

    /** The id of the first of {@code names} that is an added token. */
    private OptionalInt named(List<String> names) {
        for (String n : names) {
            AddedTokens.Token a = added.byContent(n);
            if (a != null) return OptionalInt.of(a.id());
        }
        return OptionalInt.empty();
    }

    private static OptionalInt firstPresent(OptionalInt... options) {
        for (OptionalInt o : options) if (o.isPresent()) return o;
        return OptionalInt.empty();
    }
}
