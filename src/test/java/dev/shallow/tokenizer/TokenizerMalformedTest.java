package dev.shallow.tokenizer;

import dev.shallow.ShallowException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Broken tokenizer.json files give one-line ShallowExceptions naming the file and the problem. */
class TokenizerMalformedTest {
    private static final String MODEL = """
            "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}""";

    @TempDir
    Path dir;

    @Test
    void wellFormedMinimalFileLoads() throws IOException {
        Tokenizer tok = Tokenizer.load(write("{" + MODEL + "}"));
        assertArrayEquals(new int[] {2, 0}, tok.encode("aba", false));
    }

    @Test
    void missingFile() {
        assertFails(dir.resolve("nothere.json"), "file not found");
    }

    @Test
    void modelDirectoryWithoutTokenizerJson() {
        assertFails(dir, "file not found");
    }

    @Test
    void invalidJson() throws IOException {
        assertFails(write("{\"model\": {\"type\": \"BPE\", "), "not valid JSON");
    }

    @Test
    void missingModel() throws IOException {
        assertFails(write("{\"normalizer\": null}"), "missing \"model\"");
    }

    @Test
    void unknownModelType() throws IOException {
        assertFails(write("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}"), "unsupported model type \"WordPiece\"");
    }

    @Test
    void unknownPreTokenizerType() throws IOException {
        assertFails(write("{\"pre_tokenizer\": {\"type\": \"Whitespacy\"}, " + MODEL + "}"), "unsupported pre_tokenizer type \"Whitespacy\"");
    }

    @Test
    void unknownNormalizerInsideSequence() throws IOException {
        assertFails(write("{\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Precompiled\"}]}, " + MODEL + "}"),
                "unsupported normalizer type \"Precompiled\"");
    }

    @Test
    void unknownDecoderType() throws IOException {
        assertFails(write("{\"decoder\": {\"type\": \"CTC\"}, " + MODEL + "}"), "unsupported decoder type \"CTC\"");
    }

    @Test
    void mergeReferencingUnknownToken() throws IOException {
        assertFails(write("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"ab\": 1}, \"merges\": [[\"a\", \"b\"]]}}"),
                "merge 1 references token \"b\"");
    }

    private Path write(String json) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, json);
        return file;
    }

    /** Loading {@code arg} (a file or a model directory) fails with "FILE: ...problem..." on one line. */
    private static void assertFails(Path arg, String problem) {
        Path file = Files.isDirectory(arg) ? arg.resolve("tokenizer.json") : arg;
        ShallowException e = assertThrows(ShallowException.class, () -> Tokenizer.load(arg));
        String message = e.getMessage();
        assertTrue(message.startsWith(file + ": "), message);
        assertTrue(message.contains(problem), message);
        assertTrue(message.lines().count() == 1, message);
    }
}
