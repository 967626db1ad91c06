package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.io.AtomicFiles;
import dev.shallow.io.GgufFile;
import dev.shallow.io.GgufMetadata;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * A GGUF vocabulary written as a Hugging Face {@code tokenizer.json} and {@code tokenizer_config.json} (the inverse of
 * {@link GgufTokenizerExport}), laid out as Llama's and GPT-2's tokenizer.json files are:
 * <ul>
 * <li>{@code llama} (SentencePiece BPE): a BPE model with byte_fallback, the merges of every NORMAL piece into two pieces,
 *     pieces by descending score (so merging by rank reproduces merging by score, as sentencepiece and llama.cpp do),
 *     Prepend/Replace ▁ normalizer, SentencePiece's decoder, CONTROL/UNKNOWN/USER_DEFINED pieces as added tokens;</li>
 * <li>{@code gpt2} with pre-tokenizer gpt-2 (or phi-2 and mpt, which are GPT-2's regex): a byte-level BPE with its merges;
 *     the other pre-tokenizers are refused (their regexes are not written as tokenizer.json yet).</li>
 * </ul>
 * Before anything is written the result is read back by {@link TokenizerJsonReader} and must give the GGUF vocabulary's ids
 * on the check texts, with and without special tokens.
 */
public final class TokenizerJsonExport {
    private static final String PREFIX = "tokenizer.ggml.";
    private static final Set<String> GPT2_REGEX = Set.of("gpt-2", "phi-2", "mpt");
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private TokenizerJsonExport() {
    }

    /** The two files, by name. */
    public record Files(ObjectNode tokenizer, ObjectNode config) {
    }

    /** The tokenizer files of GGUF {@code file}, checked against its vocabulary. */
    public static Files of(Path file) {
        Spec spec = new Spec(file);
        Files out;
        try (GgufFile g = GgufFile.open(file)) {
            GgufMetadata m = g.metadata();
            if (!m.has(PREFIX + "model")) throw spec.fail("has no tokenizer (" + PREFIX + "model)");
            String model = m.string(PREFIX + "model");
            out = switch (model) {
                case "llama" -> sentencePiece(m, spec);
                case "gpt2" -> byteLevel(m, spec);
                default -> throw spec.fail(PREFIX + "model '" + model + "' is not written as tokenizer.json (llama and gpt2 are)");
            };
        }
        check(file, out, spec);
        return out;
    }

    private static Files sentencePiece(GgufMetadata m, Spec spec) {
        String[] tokens = m.stringArray(PREFIX + "tokens");
        float[] scores = m.has(PREFIX + "scores") ? m.floatArray(PREFIX + "scores") : new float[tokens.length];
        int[] types = types(m, tokens.length);
        Map<String, Integer> ids = ids(tokens);
        ArrayNode merges = JSON.arrayNode();
        List<Integer> byScore = new ArrayList<>(IntStream.range(0, tokens.length).boxed().toList());
        byScore.sort(Comparator.comparingDouble((Integer id) -> -scores[id]).thenComparingInt(id -> id));
        for (int id : byScore) {
            String t = tokens[id];
            if (types[id] != PieceType.NORMAL.code || t.isEmpty()) continue;
            for (int at = t.offsetByCodePoints(0, 1); at < t.length(); at = t.offsetByCodePoints(at, 1)) {
                Integer left = ids.get(t.substring(0, at)), right = ids.get(t.substring(at));
                if (left != null && right != null && mergeHalf(tokens[left], types[left]) && mergeHalf(tokens[right], types[right])) {
                    merges.add(t.substring(0, at) + " " + t.substring(at));
                }
            }
        }
        int unk = m.has(PREFIX + "unknown_token_id") ? m.intValue(PREFIX + "unknown_token_id") : 0;
        ObjectNode model = bpe(tokens, merges, tokens[unk], true);
        ObjectNode root = root(tokens, types);
        boolean spacePrefix = !m.has(PREFIX + "add_space_prefix") || m.bool(PREFIX + "add_space_prefix");
        ArrayNode normalizers = root.putObject("normalizer").put("type", "Sequence").putArray("normalizers");
        if (spacePrefix) normalizers.addObject().put("type", "Prepend").put("prepend", "\u2581");
        normalizers.add(replace(" ", "\u2581"));
        root.putNull("pre_tokenizer");
        root.putNull("post_processor");
        ArrayNode decoders = root.putObject("decoder").put("type", "Sequence").putArray("decoders");
        decoders.add(replace("\u2581", " "));
        decoders.addObject().put("type", "ByteFallback");
        decoders.addObject().put("type", "Fuse");
        if (spacePrefix) decoders.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        root.set("model", model);
        return new Files(root, config(m, tokens, "LlamaTokenizerFast", true, unk));
    }

    /** tokenizers' Replace of a plain string (normalizer and decoder alike). */
    private static ObjectNode replace(String pattern, String content) {
        ObjectNode r = JSON.objectNode().put("type", "Replace");
        r.putObject("pattern").put("String", pattern);
        return r.put("content", content);
    }

    /** A piece a merge may join: a single character (any type) or a NORMAL piece (SentencePieceBpe's rule). */
    private static boolean mergeHalf(String token, int type) {
        return token.codePointCount(0, token.length()) == 1 || type == PieceType.NORMAL.code;
    }

    private static Files byteLevel(GgufMetadata m, Spec spec) {
        String pre = m.has(PREFIX + "pre") ? m.string(PREFIX + "pre") : "default";
        if (!GPT2_REGEX.contains(pre)) {
            throw spec.fail(PREFIX + "pre '" + pre + "' is not written as tokenizer.json yet (" + String.join(", ", GPT2_REGEX.stream().sorted().toList()) + " are)");
        }
        String[] tokens = m.stringArray(PREFIX + "tokens");
        int[] types = types(m, tokens.length);
        ArrayNode merges = JSON.arrayNode();
        for (String merge : m.stringArray(PREFIX + "merges")) merges.add(merge);
        ObjectNode root = root(tokens, types);
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true);
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        root.set("model", bpe(tokens, merges, null, false));
        return new Files(root, config(m, tokens, "PreTrainedTokenizerFast", false, -1));
    }

    /** version, truncation, padding and the added tokens: CONTROL and UNKNOWN (special), USER_DEFINED (not special). */
    private static ObjectNode root(String[] tokens, int[] types) {
        ObjectNode root = JSON.objectNode().put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < tokens.length; id++) {
            boolean special = types[id] == PieceType.CONTROL.code || types[id] == PieceType.UNKNOWN.code;
            if (!special && types[id] != PieceType.USER_DEFINED.code) continue;
            added.addObject().put("id", id).put("content", tokens[id]).put("single_word", false).put("lstrip", false).put("rstrip", false)
                    .put("normalized", false).put("special", special);
        }
        return root;
    }

    private static ObjectNode bpe(String[] tokens, ArrayNode merges, String unk, boolean byteFallback) {
        ObjectNode model = JSON.objectNode().put("type", "BPE");
        model.putNull("dropout");
        if (unk == null) model.putNull("unk_token");
        else model.put("unk_token", unk);
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", byteFallback).put("byte_fallback", byteFallback).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < tokens.length; id++) if (!vocab.has(tokens[id])) vocab.put(tokens[id], id);
        model.set("merges", merges);
        return model;
    }

    /** tokenizer_config.json: the class, bos/eos/unk tokens, add_bos_token/add_eos_token with llama.cpp's defaults, the chat templates. */
    private static ObjectNode config(GgufMetadata m, String[] tokens, String tokenizerClass, boolean addBosDefault, int unk) {
        ObjectNode c = JSON.objectNode().put("tokenizer_class", tokenizerClass);
        int bos = id(m, "bos_token_id", tokens.length), eos = id(m, "eos_token_id", tokens.length);
        if (bos >= 0) c.put("bos_token", tokens[bos]);
        if (eos >= 0) c.put("eos_token", tokens[eos]);
        if (unk >= 0) c.put("unk_token", tokens[unk]);
        c.put("add_bos_token", m.has(PREFIX + "add_bos_token") ? m.bool(PREFIX + "add_bos_token") : addBosDefault);
        c.put("add_eos_token", m.has(PREFIX + "add_eos_token") && m.bool(PREFIX + "add_eos_token"));
        ChatTemplates.toConfig(m, c);
        return c;
    }

    private static int id(GgufMetadata m, String key, int count) {
        if (!m.has(PREFIX + key)) return -1;
        long id = m.longValue(PREFIX + key);
        return id >= 0 && id < count ? (int) id : -1;
    }

    private static int[] types(GgufMetadata m, int count) {
        if (m.has(PREFIX + "token_type")) return m.intArray(PREFIX + "token_type");
        int[] t = new int[count];
        java.util.Arrays.fill(t, PieceType.NORMAL.code);
        return t;
    }

    private static Map<String, Integer> ids(String[] tokens) {
        Map<String, Integer> ids = new HashMap<>();
        for (int id = 0; id < tokens.length; id++) ids.putIfAbsent(tokens[id], id);
        return ids;
    }

    /** The files written to a temporary directory, read back, and compared with the GGUF vocabulary on the check texts. */
    private static void check(Path gguf, Files files, Spec spec) {
        Path dir = null;
        try {
            dir = java.nio.file.Files.createTempDirectory("shallow-tokenizer");
            AtomicFiles.writeJson(dir.resolve("tokenizer.json"), files.tokenizer());
            AtomicFiles.writeJson(dir.resolve("tokenizer_config.json"), files.config());
            String differs = GgufTokenizerExport.difference(Tokenizer.load(dir.resolve("tokenizer.json")), GgufVocab.load(gguf), false);
            if (differs != null) throw spec.fail("its vocabulary written as tokenizer.json would not tokenize as the GGUF does (" + differs + ")");
        } catch (java.io.IOException e) {
            throw spec.fail("cannot check the tokenizer.json: " + e.getMessage());
        } finally {
            if (dir != null) AtomicFiles.deleteTreeQuietly(dir);
        }
    }
}
