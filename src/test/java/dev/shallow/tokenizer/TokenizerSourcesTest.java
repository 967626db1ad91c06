package dev.shallow.tokenizer;

import dev.shallow.ShallowException;
import dev.shallow.io.GgufBuilder;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which file Tokenizer.load reads from a model directory, and SentencePiece models and GGUF vocabularies it must
 * refuse: each with one line naming the file, never a tokenizer that is silently wrong.
 */
class TokenizerSourcesTest {
    /** llama.cpp's pre-tokenizer names (llama-vocab.cpp at c392e50) that have no test vectors here. */
    private static final List<String> REFUSED_PRE = List.of("llama3", "llama-v3", "llama-bpe", "falcon3", "deepseek-v3", "jina-es", "jina-de",
            "gigachat", "jina-v1-en", "jina-v2-es", "jina-v2-de", "jina-v2-code", "roberta-bpe", "command-r", "qwen2", "deepseek-r1-qwen",
            "stablelm2", "olmo", "dbrx", "smaug-bpe", "poro-chat", "chatglm-bpe", "viking", "jais", "tekken", "codeshell", "bloom",
            "gpt3-finnish", "exaone", "chameleon", "minerva-7b", "megrez");
    private static final Path LLAMA2_MODEL = Shared.path("real/llama2-tokenizer-model/tokenizer.model");

    @TempDir
    Path dir;

    @Test
    void modelDirectoryFallsBackToTokenizerModel() throws IOException {
        Files.copy(LLAMA2_MODEL, dir.resolve("tokenizer.model"));
        Tokenizer tok = Tokenizer.load(dir);
        assertEquals(dir.resolve("tokenizer.model"), tok.file());
        assertArrayEquals(new int[] {1, 15043, 3186}, tok.encode("Hello world", true), "golden-ids.json's first case");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": false, \"add_eos_token\": true}");
        assertArrayEquals(new int[] {15043, 3186, 2}, Tokenizer.load(dir).encode("Hello world", true), "tokenizer_config.json's flags");
        Files.copy(Shared.path("models/stories260K/tokenizer.json"), dir.resolve("tokenizer.json"));
        assertEquals(dir.resolve("tokenizer.json"), Tokenizer.load(dir).file(), "tokenizer.json first");
    }

    @Test
    void emptyModelDirectory() {
        assertFails(dir, dir.resolve("tokenizer.json"), "file not found, nor tokenizer.model");
    }

    @TestFactory
    List<DynamicTest> refusedSentencePieceModels() {
        record Case(String name, SentencePieceModelBuilder model, String problem) {
        }
        List<Case> cases = List.of(
                new Case("unigram", SentencePieceModelBuilder.bpe().llamaSpecials().trainer(3, 1), "model_type is UNIGRAM; only BPE"),
                new Case("no-trainer-spec-means-unigram", new SentencePieceModelBuilder().llamaSpecials(), "model_type is UNIGRAM"),
                new Case("nfkc", SentencePieceModelBuilder.bpe().llamaSpecials().charsMap(new byte[] {1, 2, 3}), "precompiled normalization rules"),
                new Case("suffix-whitespace", SentencePieceModelBuilder.bpe().llamaSpecials().trainer(24, 1), "treat_whitespace_as_suffix"),
                new Case("no-unk", SentencePieceModelBuilder.bpe().piece("a", 0, PieceType.NORMAL), "no piece is of type UNKNOWN"),
                new Case("two-unk", SentencePieceModelBuilder.bpe().llamaSpecials().piece("<unk2>", 0, PieceType.UNKNOWN), "pieces 0 and 259 are both UNKNOWN"),
                new Case("bytes-without-fallback", SentencePieceModelBuilder.bpe().llamaSpecials().trainer(35, 0), "BYTE piece 3 although byte_fallback is false"),
                new Case("fallback-without-bytes", SentencePieceModelBuilder.bpe().piece("<unk>", 0, PieceType.UNKNOWN).piece("<s>", 0, PieceType.CONTROL)
                        .piece("</s>", 0, PieceType.CONTROL), "not all 256 byte pieces"),
                new Case("empty-piece", SentencePieceModelBuilder.bpe().llamaSpecials().piece("", 0, PieceType.NORMAL), "piece 259: piece must not be empty"),
                new Case("repeated-piece", SentencePieceModelBuilder.bpe().llamaSpecials().piece("a", 0, PieceType.NORMAL).piece("a", -1, PieceType.NORMAL),
                        "token \"a\" appears twice, as ids 259 and 260"),
                new Case("unknown-type", SentencePieceModelBuilder.bpe().llamaSpecials().piece("a", 0, PieceType.NORMAL).raw(new byte[] {10, 5, 10, 1, 98, 24, 7}),
                        "unknown piece type 7"),
                new Case("unused-merge-result", SentencePieceModelBuilder.bpe().llamaSpecials().piece("a", 0, PieceType.NORMAL).piece("b", 0, PieceType.NORMAL)
                        .piece("ab", -1, PieceType.UNUSED), "UNUSED piece \"ab\" (id 261) can be formed by a merge"),
                new Case("bad-byte-piece", SentencePieceModelBuilder.bpe().llamaSpecials().piece("<0xZZ>", 0, PieceType.BYTE),
                        "BYTE piece \"<0xZZ>\" (id 259) is not of the form <0xNN>"),
                new Case("bos-out-of-range", SentencePieceModelBuilder.bpe().llamaSpecials().trainer(41, 999), "special token id 999 is not in the vocabulary of 259"),
                new Case("truncated", SentencePieceModelBuilder.bpe().llamaSpecials().raw(new byte[] {10, 100, 10}), "ModelProto: length 100 at byte"),
                new Case("wrong-wire-type", SentencePieceModelBuilder.bpe().llamaSpecials().raw(new byte[] {8, 1}), "field 1 has wire type 0, expected 2"));
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases) {
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                Path file = c.model().write(dir.resolve(c.name() + ".model"));
                assertFails(file, file, c.problem());
            }));
        }
        tests.add(DynamicTest.dynamicTest("json-named-model", () -> {
            Path file = Files.copy(Shared.path("models/stories260K/tokenizer.json"), dir.resolve("tokenizer.model"));
            assertFails(file, file, "ModelProto: ");
        }));
        return tests;
    }

    @TestFactory
    List<DynamicTest> refusedGgufVocabularies() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String pre : REFUSED_PRE) {
            tests.add(DynamicTest.dynamicTest("pre " + pre, () -> {
                Path file = byteLevel().string("tokenizer.ggml.pre", pre).write(dir.resolve(pre + ".gguf"));
                assertFails(file, file, "tokenizer.ggml.pre '" + pre + "' is not supported (supported: deepseek-coder, deepseek-llm, default, falcon,"
                        + " gpt-2, mpt, phi-2, refact, smollm, starcoder)");
            }));
        }
        record Case(String name, GgufBuilder file, String problem) {
        }
        List<Case> cases = List.of(
                new Case("bert", new GgufBuilder().string("tokenizer.ggml.model", "bert").stringArray("tokenizer.ggml.tokens", "a"),
                        "tokenizer.ggml.model 'bert' is not supported (llama and gpt2 are)"),
                new Case("no-tokens", new GgufBuilder().string("tokenizer.ggml.model", "llama"), "metadata key 'tokenizer.ggml.tokens' is missing"),
                new Case("no-model", new GgufBuilder(), "metadata key 'tokenizer.ggml.model' is missing"),
                new Case("bos-out-of-range", byteLevel().u32("tokenizer.ggml.bos_token_id", 7), "tokenizer.ggml.bos_token_id 7 is not in the vocabulary of 3 tokens"),
                new Case("undefined-type", byteLevel().intArray("tokenizer.ggml.token_type", 1, 0, 1), "token_type of token 1 is 0, not a token type 1-6"),
                new Case("bad-merge", new GgufBuilder().string("tokenizer.ggml.model", "gpt2").stringArray("tokenizer.ggml.tokens", "a", "b")
                        .stringArray("tokenizer.ggml.merges", "a b"), "merge 1 references token \"ab\" that is not in the vocab"),
                new Case("spm-default-bos-out-of-range", new GgufBuilder().string("tokenizer.ggml.model", "llama").stringArray("tokenizer.ggml.tokens", "a"),
                        "tokenizer.ggml.bos_token_id 1 is not in the vocabulary of 1 tokens"));
        for (Case c : cases) {
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                Path file = c.file().write(dir.resolve(c.name() + ".gguf"));
                assertFails(file, file, c.problem());
            }));
        }
        return tests;
    }

    /** A minimal gpt2 vocabulary ("a", "b", "ab" and one merge) that reads with the default pre-tokenizer. */
    @Test
    void minimalByteLevelGguf() {
        Tokenizer tok = Tokenizer.load(byteLevel().write(dir.resolve("minimal.gguf")));
        assertArrayEquals(new int[] {2, 0}, tok.encode("aba", false));
        assertEquals("aba", tok.decode(new int[] {2, 0}, false));
    }

    private static GgufBuilder byteLevel() {
        return new GgufBuilder().string("tokenizer.ggml.model", "gpt2").stringArray("tokenizer.ggml.tokens", "a", "b", "ab")
                .stringArray("tokenizer.ggml.merges", "a b");
    }

    /** Loading {@code arg} fails with one line "FILE: ...problem...". */
    private static void assertFails(Path arg, Path file, String problem) {
        ShallowException e = assertThrows(ShallowException.class, () -> Tokenizer.load(arg));
        String message = e.getMessage();
        assertTrue(message.startsWith(file + ": "), message);
        assertTrue(message.contains(problem), message);
        assertEquals(1, message.lines().count(), message);
    }
}
