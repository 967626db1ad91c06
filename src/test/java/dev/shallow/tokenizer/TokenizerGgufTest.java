package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tokenizers read from GGUF metadata against llama.cpp's test vectors (../shared/real/llama.cpp-vocab: the ids
 * Hugging Face gives for 46 strings, made for tests/test-tokenizer-0) and stories260K.gguf against the
 * stories260K goldens: exact ids without BOS/EOS, and decode gives the text back.
 */
class TokenizerGgufTest {
    private static final Path VOCABS = Shared.path("real/llama.cpp-vocab");
    /** test-tokenizer-0's separator: every .inp string is followed by it. */
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";
    /** Every vocabulary of the folder: the two SentencePiece ones and the seven byte-level ones, each pre-tokenizer supported. */
    private static final List<String> SUPPORTED = List.of("llama-spm", "phi-3", "gpt-2", "deepseek-coder", "deepseek-llm", "falcon",
            "starcoder", "mpt", "refact");

    @TestFactory
    List<DynamicContainer> llamaCppVectors() throws IOException {
        List<DynamicContainer> all = new ArrayList<>();
        for (String name : SUPPORTED) all.add(DynamicContainer.dynamicContainer(name, vectors(name)));
        return all;
    }

    private static List<DynamicTest> vectors(String name) throws IOException {
        Path gguf = VOCABS.resolve("ggml-vocab-" + name + ".gguf");
        String inp = Files.readString(gguf.resolveSibling(gguf.getFileName() + ".inp"), StandardCharsets.UTF_8);
        assertTrue(inp.endsWith(SEPARATOR));
        List<String> texts = Arrays.asList(inp.substring(0, inp.length() - SEPARATOR.length()).split(SEPARATOR, -1));
        List<String> lines = Files.readAllLines(gguf.resolveSibling(gguf.getFileName() + ".out"), StandardCharsets.US_ASCII);
        assertEquals(46, texts.size());
        assertEquals(texts.size(), lines.size());
        Tokenizer tok = Tokenizer.load(gguf);
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            int[] ids = lines.get(i).isEmpty() ? new int[0] : Arrays.stream(lines.get(i).substring(1).split(" ")).mapToInt(Integer::parseInt).toArray();
            tests.add(DynamicTest.dynamicTest(Shared.name(i, text), () -> {
                assertArrayEquals(ids, tok.encode(text, false), "ids");
                assertEquals(text, tok.decode(ids, false), "decoded");
            }));
        }
        return tests;
    }

    /** stories260K.gguf is stories260K's vocabulary: the goldens of its tokenizer.json, BOS added by default. */
    @TestFactory
    List<DynamicTest> stories260KGguf() {
        Tokenizer tok = Tokenizer.load(Shared.path("real/stories260K-gguf/stories260K.gguf"));
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : Shared.json(Shared.path("golden/stories260K/inputs.json")).get("tokenizer_cases")) {
            String text = c.get("text").asText();
            tests.add(DynamicTest.dynamicTest(Shared.name(tests.size(), text), () -> {
                assertArrayEquals(Shared.ints(c.get("ids")), tok.encode(text, false), "ids");
                assertArrayEquals(Shared.ints(c.get("ids_with_bos")), tok.encode(text, true), "ids with BOS");
                assertEquals(text, tok.decode(Shared.ints(c.get("ids")), false), "decoded");
            }));
        }
        return tests;
    }

    @Test
    void specialIdsAndFlags() {
        Tokenizer phi3 = Tokenizer.load(VOCABS.resolve("ggml-vocab-phi-3.gguf"));
        assertEquals(OptionalInt.of(1), phi3.bosId());
        assertEquals(OptionalInt.of(32_000), phi3.eosId());
        assertEquals(32_064, phi3.vocabSize());
        Tokenizer deepseek = Tokenizer.load(VOCABS.resolve("ggml-vocab-deepseek-coder.gguf"));
        assertEquals(OptionalInt.of(32_013), deepseek.bosId());
        assertEquals(32_013, deepseek.encode("", true)[0], "add_bos_token true");
        Tokenizer gpt2 = Tokenizer.load(VOCABS.resolve("ggml-vocab-gpt-2.gguf"));
        assertEquals(0, gpt2.encode("", true).length, "no add_bos_token: llama.cpp adds none for gpt2");
        assertEquals(OptionalInt.of(50_256), gpt2.eosId());
        assertTrue(gpt2.isSpecial(50_256));
    }

    @Test
    void gpt2VocabularyEqualsTheTokenizerJson() throws IOException {
        Tokenizer gguf = Tokenizer.load(VOCABS.resolve("ggml-vocab-gpt-2.gguf"));
        Tokenizer json = Tokenizer.load(Shared.path("golden/tokenizers/gpt2-tokenizer.json"));
        for (JsonNode c : Shared.json(Shared.path("golden/tokenizers/gpt2-cases.json")).get("cases")) {
            assertArrayEquals(Shared.ints(c.get("ids")), gguf.encode(c.get("text").asText(), false), c.get("text").asText());
        }
        assertEquals(json.vocabSize(), gguf.vocabSize());
    }
}
