package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.ShallowException;
import dev.shallow.io.InputFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A Hugging Face {@code tokenizer.json} with a BPE model, read as the Rust tokenizers library does: added tokens
 * cut out, normalizer, pre-tokenizer, BPE, post-processor (encode); decoder chain (decode). "truncation" and
 * "padding" are ignored: they are batching settings, not part of the text-to-ids mapping.
 */
final class TokenizerJsonReader {
    /** Tokenizer classes whose transformers implementation rebuilds the template from add_bos_token/add_eos_token. */
    private static final Set<String> LLAMA_CLASSES = Set.of("LlamaTokenizer", "LlamaTokenizerFast",
            "CodeLlamaTokenizer", "CodeLlamaTokenizerFast", "GemmaTokenizer", "GemmaTokenizerFast");
    private static final List<String> BOS_NAMES = List.of("<s>", "<|begin_of_text|>", "<bos>", "<|startoftext|>");
    private static final List<String> EOS_NAMES = List.of("</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>");
    /** The fields of tokenizers' Tokenizer; its deserializer refuses any other ("expected `,` or `}`"). */
    private static final Set<String> FIELDS = Set.of("version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer",
            "post_processor", "decoder", "model");

    private TokenizerJsonReader() {
    }

    /**
     * bos/eos: tokenizer_config.json's bos_token/eos_token, else the template's first/last special token, else a
     * conventional name among the added tokens.
     */
    static Tokenizer load(Path file) {
        Spec spec = new Spec(file);
        JsonNode root = readJson(file);
        TokenizerConfig config = TokenizerConfig.next(file);
        root.fieldNames().forEachRemaining(f -> {
            if (!FIELDS.contains(f)) throw spec.fail(f + ": unknown field (Hugging Face tokenizers reads only " + String.join(", ", FIELDS) + ")");
        });
        JsonNode model = root.get("model");
        if (model == null || !model.isObject()) throw spec.fail("missing \"model\"");
        Normalizer normalizer = present(root, "normalizer") ? Normalizer.from(root.get("normalizer"), spec) : null;
        PreTokenizer preTokenizer = present(root, "pre_tokenizer") ? PreTokenizer.from(root.get("pre_tokenizer"), spec) : null;
        Bpe bpe = Bpe.from(model, spec);
        AddedTokens added = AddedTokensJson.read(root.get("added_tokens"), normalizer, bpe.vocab(), spec);
        Decoder decoder = present(root, "decoder") ? Decoder.from(root.get("decoder"), spec) : null;
        PostProcessor fromFile = present(root, "post_processor") ? PostProcessor.from(root.get("post_processor"), spec) : null;
        OptionalInt configBos = configToken(config, "bos_token", added, bpe);
        OptionalInt configEos = configToken(config, "eos_token", added, bpe);
        PostProcessor postProcessor = LLAMA_CLASSES.contains(config.tokenizerClass())
                ? PostProcessor.Template.around(config.flag("add_bos_token", true) ? configBos : OptionalInt.empty(),
                                                config.flag("add_eos_token", false) ? configEos : OptionalInt.empty())
                : fromFile;
        OptionalInt bos = firstPresent(configBos, templateId(postProcessor, true), named(added, BOS_NAMES));
        OptionalInt eos = firstPresent(configEos, templateId(postProcessor, false), named(added, EOS_NAMES));
        BitSet special = new BitSet();
        for (AddedTokens.Token t : added.all()) if (t.special()) special.set(t.id());
        return new Tokenizer(file, null, added, preTokenizer, bpe, postProcessor, decoder, special, bos, eos);
    }

    static JsonNode readJson(Path file) {
        JsonNode root;
        byte[] bytes = InputFiles.readAllBytes(file);
        try {
            root = new ObjectMapper().readTree(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw ShallowException.at(file, "not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) throw ShallowException.at(file, "not a JSON object");
        return root;
    }

    private static boolean present(JsonNode root, String field) {
        return root.has(field) && !root.get(field).isNull();
    }

    private static OptionalInt configToken(TokenizerConfig config, String field, AddedTokens added, Bpe bpe) {
        return config.token(field).map(name -> Tokenizer.idOf(name, added, bpe.vocab())).orElse(OptionalInt.empty());
    }

    /** The single id of the template's first special token before $A, or last one after it. */
    private static OptionalInt templateId(PostProcessor postProcessor, boolean beforeSequence) {
        if (postProcessor == null) return OptionalInt.empty();
        List<int[]> side = beforeSequence ? postProcessor.before() : postProcessor.after();
        if (side.isEmpty()) return OptionalInt.empty();
        int[] ids = beforeSequence ? side.getFirst() : side.getLast();
        return ids.length == 1 ? OptionalInt.of(ids[0]) : OptionalInt.empty();
    }

    /** The id of the first of {@code names} that is an added token. */
    private static OptionalInt named(AddedTokens added, List<String> names) {
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
