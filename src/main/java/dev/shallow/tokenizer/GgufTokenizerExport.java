package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shallow.ShallowException;
import dev.shallow.io.AtomicFiles;
import dev.shallow.io.GgufFile;
import dev.shallow.io.GgufWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's tokenizer written into GGUF metadata ({@code tokenizer.ggml.*}, llama.cpp src/llama-vocab.cpp load) so that
 * llama.cpp, and Shallow's {@link GgufVocab}, tokenize as the source does:
 * <ul>
 * <li>a SentencePiece-style BPE ({@code tokenizer.json} with a {@code ▁} normalizer or Metaspace pre-tokenizer, or a
 *     SentencePiece {@code tokenizer.model}) as {@code llama}: tokens, scores, token types, special ids, add_bos/add_eos,
 *     add_space_prefix. llama.cpp's SPM tokenizer (llm_tokenizer_spm_session) merges the adjacent pair whose concatenation
 *     has the highest score, leftmost on ties, whatever the token's type; so a tokenizer.json piece's score is minus the rank
 *     of the first merge that makes it (gguf-py's LlamaHfVocab writes one score for all, which merges in another order), and
 *     a piece no merge makes but two pieces would form is refused. A tokenizer.model keeps its own scores.</li>
 * <li>a byte-level BPE (GPT-2 style, a ByteLevel pre-tokenizer) as {@code gpt2}: tokens, merges, token types, and the
 *     {@code tokenizer.ggml.pre} of {@link GgufPreTokenizers} that splits the check texts as the source does (llama.cpp's
 *     convert_hf_to_gguf.py picks it by a hash of the tokenization of its CHK_TXT); refused when none does.</li>
 * </ul>
 * Ids missing below the model's vocabulary size are padded with {@code [PADi]} tokens of type UNUSED (convert_hf_to_gguf.py
 * get_vocab_base). Before anything is written, the GGUF vocabulary is loaded by {@link GgufVocab} and must give the source's
 * ids on the check texts, with and without special tokens: a tokenizer that would split differently is refused in one line.
 */
public final class GgufTokenizerExport {
    private static final String PREFIX = "tokenizer.ggml.";
    /** llama.cpp convert_hf_to_gguf_update.py CHK_TXT: the text whose tokenization tells pre-tokenizers apart. */
    static final String CHK_TXT = "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) ✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на Български ''''''```````\"\"\"\"......!!!!!!?????? I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL";
    private static final List<String> CHECK_TEXTS = List.of(CHK_TXT, "", " ", "Hello world", " Hello  world\n\nagain\t", "Once upon a time, there was a little girl named Lily.",
            "é ñ ß “ ” … € ☃ 日 🙂\u00a0x", "3.14159 1234567 12,345.67 x=y+z^2", "   leading and trailing   ", "\r\n\r\nlines\n");

    private GgufTokenizerExport() {
    }

    /**
     * Puts the tokenizer of {@code modelOrFile} (a model directory's tokenizer.json, else its tokenizer.model; or such a
     * file; or a GGUF file, whose {@code tokenizer.*} keys are copied as they are) into {@code m}, with ids up to
     * {@code vocabSize} (the embedding's rows); a directory's chat templates too ({@link ChatTemplates}).
     */
    public static List<String> write(Path modelOrFile, int vocabSize, GgufWriter.Metadata m) {
        Path file = Files.isDirectory(modelOrFile) ? Tokenizer.inModelDir(modelOrFile) : modelOrFile;
        GgufWriter.Metadata keys = new GgufWriter.Metadata();
        Spec spec = new Spec(file);
        if (file.getFileName().toString().endsWith(".gguf")) {
            try (GgufFile g = GgufFile.open(file)) {
                for (String k : g.metadata().keys()) if (k.startsWith("tokenizer.")) keys.encoded(k, g.metadata().encoded(k));
            }
            m.putAll(keys);
            return List.of();
        }
        Tokenizer source = Tokenizer.load(file);
        if (file.getFileName().toString().endsWith(".json")) {
            JsonNode root = TokenizerJsonReader.readJson(file);
            if (isSentencePiece(root)) sentencePieceFromJson(root, source, vocabSize, spec, keys);
            else if (root.path("pre_tokenizer").toString().contains("\"ByteLevel\"")) byteLevel(root, source, vocabSize, spec, keys);
            else throw spec.fail("neither a SentencePiece-style (▁) nor a byte-level BPE; not written as a GGUF tokenizer");
        } else {
            sentencePieceModel(SentencePieceModel.vocab(file), source, vocabSize, spec, keys);
        }
        boolean leadingSpaceDiffers = file.getFileName().toString().endsWith(".json") && metaspaceFirst(TokenizerJsonReader.readJson(file));
        String differs = difference(load(keys, spec), source, leadingSpaceDiffers);
        if (differs != null) throw spec.fail("the GGUF vocabulary would not tokenize as this tokenizer does (" + differs + "); not written");
        m.putAll(keys);
        if (Files.isDirectory(modelOrFile)) ChatTemplates.put(ChatTemplates.of(modelOrFile), m);
        return leadingSpaceDiffers ? List.of(file + ": its Metaspace pre-tokenizer (prepend_scheme \"first\") adds no \u2581 before a text that"
                + " starts with a space or \u2581; llama.cpp's SPM tokenizer (add_space_prefix) always does, as sentencepiece does, so such texts"
                + " tokenize differently in the GGUF") : List.of();
    }

    /** A ▁-prefixing normalizer (Prepend/Replace) or a Metaspace pre-tokenizer: SentencePiece's way with spaces. */
    private static boolean isSentencePiece(JsonNode root) {
        return root.path("normalizer").toString().contains("\u2581") || root.path("pre_tokenizer").toString().contains("\"Metaspace\"");
    }

    /**
     * Metaspace with prepend_scheme "first" (tokenizers Metaspace::split): no ▁ is prepended when the text already starts with
     * one, where sentencepiece and llama.cpp prepend always; the only difference their pipelines have on such a tokenizer.
     */
    static boolean metaspaceFirst(JsonNode root) {
        JsonNode pre = root.path("pre_tokenizer");
        return pre.path("type").asText().equals("Metaspace") && pre.path("prepend_scheme").asText("always").equals("first");
    }

    /** A text Metaspace "first" and sentencepiece treat differently: it starts with a space or ▁. */
    static boolean startsWithSpace(String text) {
        return text.startsWith(" ") || text.startsWith("\u2581");
    }

    /** Tokens by id: the model's vocab and the added tokens; gaps up to {@code vocabSize} become [PADi]. */
    private static String[] tokens(JsonNode root, int vocabSize, Spec spec, PieceType[] typesOut, Map<Integer, Boolean> added) {
        Map<Integer, String> byId = new HashMap<>();
        root.path("model").path("vocab").properties().forEach(e -> byId.put(e.getValue().asInt(), e.getKey()));
        for (JsonNode a : root.path("added_tokens")) {
            byId.put(a.path("id").asInt(), a.path("content").asText());
            added.put(a.path("id").asInt(), a.path("special").asBoolean());
        }
        int size = byId.keySet().stream().mapToInt(i -> i + 1).max().orElse(0);
        if (size > vocabSize) throw spec.fail("has ids up to " + (size - 1) + " but the model's embeddings have " + vocabSize + " rows");
        String[] tokens = new String[vocabSize];
        for (int id = 0; id < vocabSize; id++) {
            tokens[id] = byId.get(id);
            if (typesOut != null) typesOut[id] = PieceType.NORMAL;
            if (tokens[id] == null) {
                tokens[id] = "[PAD" + id + "]";
                if (typesOut != null) typesOut[id] = PieceType.UNUSED;
            } else if (typesOut != null && added.containsKey(id)) {
                typesOut[id] = added.get(id) ? PieceType.CONTROL : PieceType.USER_DEFINED;
            }
        }
        return tokens;
    }

    /** Merges as pairs, from "a b" strings or [a, b] arrays. */
    private static List<String[]> merges(JsonNode root, Spec spec) {
        List<String[]> out = new ArrayList<>();
        for (JsonNode merge : root.path("model").path("merges")) {
            if (merge.isArray() && merge.size() == 2) {
                out.add(new String[] {merge.get(0).asText(), merge.get(1).asText()});
            } else {
                String s = merge.asText();
                int space = s.indexOf(' ', 1);
                if (space < 0) throw spec.fail("model.merges: \"" + s + "\" is not a pair");
                out.add(new String[] {s.substring(0, space), s.substring(space + 1)});
            }
        }
        return out;
    }

    private static void sentencePieceFromJson(JsonNode root, Tokenizer source, int vocabSize, Spec spec, GgufWriter.Metadata keys) {
        PieceType[] types = new PieceType[vocabSize];
        String[] tokens = tokens(root, vocabSize, spec, types, new HashMap<>());
        Map<String, Integer> ids = new HashMap<>();
        for (int id = 0; id < tokens.length; id++) ids.putIfAbsent(tokens[id], id);
        String unk = root.path("model").path("unk_token").asText(null);
        boolean byteFallback = root.path("model").path("byte_fallback").asBoolean(false);
        for (int id = 0; id < tokens.length; id++) {
            if (byteFallback && types[id] == PieceType.NORMAL && tokens[id].matches("<0x[0-9A-F]{2}>")) types[id] = PieceType.BYTE;
            if (tokens[id].equals(unk)) types[id] = PieceType.UNKNOWN;
        }
        // a piece's score: minus the rank of the first merge making it (llama.cpp merges the highest score first)
        float[] scores = new float[tokens.length];
        boolean[] made = new boolean[tokens.length];
        List<String[]> merges = merges(root, spec);
        for (int rank = 0; rank < merges.size(); rank++) {
            Integer id = ids.get(merges.get(rank)[0] + merges.get(rank)[1]);
            if (id == null) throw spec.fail("model.merges[" + rank + "] makes \"" + merges.get(rank)[0] + merges.get(rank)[1] + "\", which is not in the vocab");
            if (!made[id]) scores[id] = -rank - 1;
            made[id] = true;
        }
        for (int id = 0; id < tokens.length; id++) {
            if (made[id] || tokens[id].codePointCount(0, tokens[id].length()) < 2) continue;
            String t = tokens[id];
            for (int at = t.offsetByCodePoints(0, 1); at < t.length(); at = t.offsetByCodePoints(at, 1)) {
                if (ids.containsKey(t.substring(0, at)) && ids.containsKey(t.substring(at))) {
                    throw spec.fail("token \"" + t + "\" (id " + id + ") is made by no merge, but llama.cpp's SPM tokenizer would make it from \""
                            + t.substring(0, at) + "\" + \"" + t.substring(at) + "\"; not written");
                }
            }
        }
        JsonNode pre = root.path("pre_tokenizer");
        boolean spacePrefix = root.path("normalizer").toString().contains("Prepend")
                || pre.path("type").asText().equals("Metaspace") && !pre.path("prepend_scheme").asText("always").equals("never");
        sentencePieceKeys(keys, tokens, scores, types, source, spacePrefix, ids.getOrDefault(unk, 0));
    }

    private static void sentencePieceModel(SentencePieceVocab v, Tokenizer source, int vocabSize, Spec spec, GgufWriter.Metadata keys) {
        if (v.pieces().length > vocabSize) throw spec.fail("has " + v.pieces().length + " pieces but the model's embeddings have " + vocabSize + " rows");
        String[] tokens = Arrays.copyOf(v.pieces(), vocabSize);
        float[] scores = Arrays.copyOf(v.scores(), vocabSize);
        PieceType[] types = Arrays.copyOf(v.types(), vocabSize);
        for (int id = v.pieces().length; id < vocabSize; id++) {
            tokens[id] = "[PAD" + id + "]";
            scores[id] = -1000f; // convert_hf_to_gguf.py _create_vocab_sentencepiece pads with score -1000, type UNUSED
            types[id] = PieceType.UNUSED;
        }
        sentencePieceKeys(keys, tokens, scores, types, source, v.addDummyPrefix(), v.unkId());
        keys.bool(PREFIX + "remove_extra_whitespaces", v.removeExtraWhitespaces());
    }

    private static void sentencePieceKeys(GgufWriter.Metadata keys, String[] tokens, float[] scores, PieceType[] types, Tokenizer source,
                                          boolean spacePrefix, int unk) {
        keys.string(PREFIX + "model", "llama").stringArray(PREFIX + "tokens", tokens).f32Array(PREFIX + "scores", scores)
                .i32Array(PREFIX + "token_type", codes(types));
        specialIds(keys, source, unk);
        keys.bool(PREFIX + "add_space_prefix", spacePrefix);
    }

    private static void byteLevel(JsonNode root, Tokenizer source, int vocabSize, Spec spec, GgufWriter.Metadata keys) {
        PieceType[] types = new PieceType[vocabSize];
        String[] tokens = tokens(root, vocabSize, spec, types, new HashMap<>());
        List<String[]> pairs = merges(root, spec);
        String[] merges = new String[pairs.size()];
        for (int i = 0; i < merges.length; i++) merges[i] = pairs.get(i)[0] + " " + pairs.get(i)[1];
        keys.string(PREFIX + "model", "gpt2").string(PREFIX + "pre", "gpt-2").stringArray(PREFIX + "tokens", tokens)
                .i32Array(PREFIX + "token_type", codes(types)).stringArray(PREFIX + "merges", merges);
        specialIds(keys, source, -1);
        Tokenizer written = load(keys, spec);
        List<String> names = new ArrayList<>(List.of("gpt-2"));
        GgufPreTokenizers.names().stream().filter(n -> !n.equals("gpt-2")).forEach(names::add);
        for (String name : names) {
            if (difference(written.withPreTokenizer(GgufPreTokenizers.of(name, spec)), source, false) == null) {
                keys.string(PREFIX + "pre", name);
                return;
            }
        }
        throw spec.fail("its pre-tokenizer splits the check texts as none of llama.cpp's that Shallow knows (" + String.join(", ", names)
                + "); not written rather than written with a tokenizer that splits differently");
    }

    /** bos/eos/unknown ids and add_bos_token/add_eos_token, as the source's template adds them. */
    private static void specialIds(GgufWriter.Metadata keys, Tokenizer source, int unk) {
        source.bosId().ifPresent(id -> keys.u32(PREFIX + "bos_token_id", id));
        source.eosId().ifPresent(id -> keys.u32(PREFIX + "eos_token_id", id));
        if (unk >= 0) keys.u32(PREFIX + "unknown_token_id", unk);
        int[] plain = source.encode("a", false), full = source.encode("a", true);
        boolean bos = full.length > plain.length && source.bosId().isPresent() && full[0] == source.bosId().getAsInt();
        boolean eos = full.length > plain.length && source.eosId().isPresent() && full[full.length - 1] == source.eosId().getAsInt();
        keys.bool(PREFIX + "add_bos_token", bos).bool(PREFIX + "add_eos_token", eos);
    }

    private static int[] codes(PieceType[] types) {
        int[] out = new int[types.length];
        for (int i = 0; i < out.length; i++) out[i] = types[i].code;
        return out;
    }

    /** Null when {@code written} gives {@code source}'s ids on every check text, with and without special tokens; else the first difference. */
    static String difference(Tokenizer written, Tokenizer source, boolean skipLeadingSpace) {
        for (String text : CHECK_TEXTS) {
            if (skipLeadingSpace && startsWithSpace(text)) continue;
            for (boolean special : new boolean[] {false, true}) {
                int[] got = written.encode(text, special), want = source.encode(text, special);
                if (!Arrays.equals(got, want)) {
                    String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
                    return "\"" + shown.replace("\n", "\\n") + "\" gives " + abbreviated(got) + ", not " + abbreviated(want);
                }
            }
        }
        return null;
    }

    private static String abbreviated(int[] ids) {
        String s = Arrays.toString(ids);
        return s.length() > 60 ? s.substring(0, 60) + "...]" : s;
    }

    /** {@code keys} written as a tensor-less GGUF in a temporary directory and read back by {@link GgufVocab}. */
    private static Tokenizer load(GgufWriter.Metadata keys, Spec spec) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("shallow-vocab");
            Path file = dir.resolve("vocab.gguf");
            GgufWriter.write(file, keys, List.of());
            return GgufVocab.load(file);
        } catch (IOException e) {
            throw ShallowException.at(spec.file(), "cannot check the GGUF vocabulary: " + e.getMessage(), e);
        } finally {
            if (dir != null) AtomicFiles.deleteTreeQuietly(dir);
        }
    }
}
