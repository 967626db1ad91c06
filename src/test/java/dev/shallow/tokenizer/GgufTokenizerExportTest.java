package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.ShallowException;

import dev.shallow.io.GgufFile;
import dev.shallow.io.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tokenizer written into GGUF metadata and read back by Shallow's GGUF-vocabulary tokenizer gives the source's ids (and
 * the goldens' where the folder has them), with and without special tokens.
 */
class GgufTokenizerExportTest {
    private static final Path MISTRAL = dev.shallow.Shared.root().resolve("real/mistral-7b-v0.3-tokenizer");
    private static final Path LLAMA2 = dev.shallow.Shared.root().resolve("real/llama2-tokenizer-model");

    @TempDir
    Path tmp;

    private Path exported(Path source, int vocabSize) {
        GgufWriter.Metadata m = new GgufWriter.Metadata();
        GgufTokenizerExport.write(source, vocabSize, m);
        Path out = tmp.resolve("vocab-" + Math.abs(source.hashCode()) + ".gguf");
        GgufWriter.write(out, m, List.of());
        return out;
    }

    private static List<String> texts(Path folder) throws IOException {
        List<String> out = new ArrayList<>();
        new ObjectMapper().readTree(folder.resolve("texts.json").toFile()).path("texts").forEach(t -> out.add(t.asText()));
        return out;
    }

    /**
     * Equal ids on every text but those holding a special token's text: Hugging Face reads "<s>" in a text as the token, a
     * SentencePiece vocabulary (sentencepiece, Shallow's GGUF reader; llama.cpp unless asked to parse special tokens) as text.
     */
    private static void assertSameIds(Tokenizer want, Tokenizer got, List<String> texts) {
        for (String t : texts) {
            if (Arrays.stream(want.encode(t, false)).anyMatch(want::isSpecial)) continue;
            assertArrayEquals(want.encode(t, false), got.encode(t, false), t);
            assertArrayEquals(want.encode(t, true), got.encode(t, true), t);
        }
    }

    /** The golden ids (Hugging Face tokenizers / sentencepiece) of the folder's texts. */
    private static int assertGolden(Path goldenFile, Tokenizer got, java.util.function.Predicate<String> compared) throws IOException {
        int n = 0;
        for (JsonNode c : new ObjectMapper().readTree(goldenFile.toFile()).path("cases")) {
            String text = c.path("text").asText();
            if (!compared.test(text)) continue;
            int[] want = new int[c.path("ids").size()];
            for (int j = 0; j < want.length; j++) want[j] = c.path("ids").get(j).asInt();
            assertArrayEquals(want, got.encode(text, false), text);
            n++;
        }
        assertTrue(n > 20, goldenFile + ": only " + n + " cases compared");
        return n;
    }

    /** stories260K's tokenizer.json (SentencePiece-style, merges made from llama2.c's scores): llama with scores from merge ranks. */
    @Test
    void stories260K() throws IOException {
        Tokenizer source = Tokenizer.load(dev.shallow.Shared.model("stories260K"));
        Path gguf = exported(dev.shallow.Shared.model("stories260K"), source.vocabSize());
        try (GgufFile f = GgufFile.open(gguf)) {
            assertEquals("llama", f.metadata().string("tokenizer.ggml.model"));
            assertTrue(f.metadata().bool("tokenizer.ggml.add_bos_token"));
        }
        List<String> texts = new ArrayList<>(texts(MISTRAL));
        Files.readAllLines(dev.shallow.Shared.root().resolve("data/stories260K-samples/heldout.jsonl")).stream().limit(40).forEach(texts::add);
        assertSameIds(source, Tokenizer.load(gguf), texts);
    }

    /** Mistral v0.3's tokenizer.json (32768 tokens, 771 control tokens, Metaspace): the golden ids of Hugging Face tokenizers. */
    @Test
    void mistralTokenizerJson() throws IOException {
        Tokenizer source = Tokenizer.load(MISTRAL.resolve("tokenizer.json"));
        GgufWriter.Metadata m = new GgufWriter.Metadata();
        List<String> warnings = GgufTokenizerExport.write(MISTRAL.resolve("tokenizer.json"), source.vocabSize(), m);
        assertEquals(1, warnings.size());
        assertTrue(warnings.getFirst().contains("prepend_scheme"), warnings.getFirst());
        Path file = tmp.resolve("mistral.gguf");
        GgufWriter.write(file, m, List.of());
        Tokenizer got = Tokenizer.load(file);
        List<String> texts = texts(MISTRAL), noLeadingSpace = texts.stream().filter(t -> !GgufTokenizerExport.startsWithSpace(t)).toList();
        assertSameIds(source, got, noLeadingSpace);
        int hf = assertGolden(MISTRAL.resolve("golden-ids.json"), got, t -> !GgufTokenizerExport.startsWithSpace(t) && Arrays.stream(source.encode(t, false)).noneMatch(source::isSpecial));
        // every text, leading spaces too, as sentencepiece tokenizes it (llama.cpp's SPM prepends the space as sentencepiece does)
        int sp = assertGolden(MISTRAL.resolve("sentencepiece-ids.json"), got, t -> true);
        System.out.printf("mistral v0.3 GGUF vocabulary: %d texts as Hugging Face, %d as sentencepiece%n", hf, sp);
    }

    /**
     * The scores matter: the same vocabulary with gguf-py LlamaHfVocab's constant score (every piece 0) merges in another
     * order and gives other ids on the texts.
     */
    @Test
    void constantScoresWouldTokenizeDifferently() throws IOException {
        Tokenizer source = Tokenizer.load(MISTRAL.resolve("tokenizer.json"));
        Path gguf = exported(MISTRAL.resolve("tokenizer.json"), source.vocabSize());
        GgufWriter.Metadata flat = new GgufWriter.Metadata();
        try (GgufFile f = GgufFile.open(gguf)) {
            for (String k : f.metadata().keys()) flat.encoded(k, f.metadata().encoded(k));
            flat.f32Array("tokenizer.ggml.scores", new float[f.metadata().arrayLength("tokenizer.ggml.scores")]);
        }
        Path flatFile = tmp.resolve("flat.gguf");
        GgufWriter.write(flatFile, flat, List.of());
        Tokenizer wrong = Tokenizer.load(flatFile);
        long differing = texts(MISTRAL).stream().filter(t -> !Arrays.equals(source.encode(t, false), wrong.encode(t, false))).count();
        assertTrue(differing > 0, "a constant score should merge differently on some text");
    }

    /** Llama 2's SentencePiece tokenizer.model: its own scores and types, and sentencepiece's golden ids. */
    @Test
    void llama2TokenizerModel() throws IOException {
        Tokenizer source = Tokenizer.load(LLAMA2.resolve("tokenizer.model"));
        Tokenizer got = Tokenizer.load(exported(LLAMA2.resolve("tokenizer.model"), source.vocabSize()));
        assertSameIds(source, got, texts(LLAMA2));
        assertGolden(LLAMA2.resolve("golden-ids.json"), got, t -> true);
    }

    /** GPT-2's byte-level tokenizer.json: gpt2 with merges, pre-tokenizer gpt-2 chosen by behaviour. */
    @Test
    void gpt2TokenizerJson() throws IOException {
        Path json = dev.shallow.Shared.golden("tokenizers").resolve("gpt2-tokenizer.json");
        Tokenizer source = Tokenizer.load(json);
        Path gguf = exported(json, source.vocabSize());
        try (GgufFile f = GgufFile.open(gguf)) {
            assertEquals("gpt2", f.metadata().string("tokenizer.ggml.model"));
            assertEquals("gpt-2", f.metadata().string("tokenizer.ggml.pre"));
        }
        List<String> texts = new ArrayList<>(texts(MISTRAL));
        texts.add(GgufTokenizerExport.CHK_TXT);
        assertSameIds(source, Tokenizer.load(gguf), texts);
    }

    /** A GGUF vocabulary (llama.cpp's gpt-2) written again keeps every tokenizer key as it is, and llama.cpp's test vectors. */
    @Test
    void ggufVocabularyIsKept() throws IOException {
        Path source = dev.shallow.Shared.root().resolve("real/llama.cpp-vocab/ggml-vocab-gpt-2.gguf");
        Path gguf = exported(source, 0);
        try (GgufFile a = GgufFile.open(source); GgufFile b = GgufFile.open(gguf)) {
            List<String> keys = a.metadata().keys().stream().filter(k -> k.startsWith("tokenizer.")).toList();
            assertEquals(keys, List.copyOf(b.metadata().keys()));
            for (String k : keys) assertArrayEquals(a.metadata().encoded(k), b.metadata().encoded(k), k);
        }
        String sep = "\n__ggml_vocab_test__\n";
        String inp = Files.readString(Path.of(source + ".inp"), StandardCharsets.UTF_8);
        List<String> texts = Arrays.asList(inp.substring(0, inp.length() - sep.length()).split(sep, -1));
        assertSameIds(Tokenizer.load(source), Tokenizer.load(gguf), texts);
    }

    /** A byte-level tokenizer whose pre-tokenizer matches none of llama.cpp's known ones is refused in one line. */
    @Test
    void unknownPreTokenizerIsRefused() throws IOException {
        Path json = dev.shallow.Shared.golden("tokenizers").resolve("gpt2-tokenizer.json");
        ObjectMapper om = new ObjectMapper();
        var root = (com.fasterxml.jackson.databind.node.ObjectNode) om.readTree(json.toFile());
        var split = om.createObjectNode().put("type", "Split");
        split.putObject("pattern").put("Regex", "[a-e]+");
        split.put("behavior", "Isolated").put("invert", false);
        var seq = om.createObjectNode().put("type", "Sequence");
        seq.putArray("pretokenizers").add(split).add(root.get("pre_tokenizer"));
        root.set("pre_tokenizer", seq);
        Path file = tmp.resolve("tokenizer.json");
        om.writeValue(file.toFile(), root);
        ShallowException e = assertThrows(ShallowException.class, () -> GgufTokenizerExport.write(file, 50257, new GgufWriter.Metadata()));
        assertEquals(1, e.getMessage().lines().count());
        assertTrue(e.getMessage().contains("pre-tokenizer") && e.getMessage().contains(file.toString()), e.getMessage());
    }
}
