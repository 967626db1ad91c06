package dev.shallow.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.ShallowException;
import dev.shallow.cli.ImportLlama2cCommand;
import dev.shallow.io.Checkpoint;
import dev.shallow.io.OutputPolicy;
import dev.shallow.model.ModelConfig;
import dev.shallow.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class Llama2cImporterTest {
    static final Path SHARED = Path.of(System.getProperty("shallow.shared", "../shared"));
    static final Path HF = SHARED.resolve("models/stories260K");
    static final Path BIN = SHARED.resolve("models/llama2c/stories260K/stories260K.bin");
    static final Path TOK = SHARED.resolve("models/llama2c/stories260K/tok512.bin");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void stories260KTensorsEqualTheReferenceConversionBitForBit() throws IOException {
        Path out = tmp.resolve("out");
        var imported = Llama2cImporter.importModel(BIN, TOK, out);
        assertEquals(5 * 9 + 2, imported.tensors());
        try (Checkpoint mine = Checkpoint.open(out); Checkpoint ref = Checkpoint.open(HF)) {
            assertEquals(ref.names(), mine.names());
            for (String name : ref.names()) {
                Tensor a = ref.tensor(name), b = mine.tensor(name);
                assertEquals(a.dtype(), b.dtype(), name);
                assertArrayEquals(a.shape(), b.shape(), name);
                assertArrayEquals(a.segment().toArray(ValueLayout.JAVA_INT), b.segment().toArray(ValueLayout.JAVA_INT), name);
            }
        }
        assertArrayEquals(Files.readAllBytes(HF.resolve("model.safetensors")), Files.readAllBytes(out.resolve("model.safetensors")),
                "same header layout as the reference file too");
    }

    @Test
    void jsonFilesEqualTheReferenceAsParsedJson() throws IOException {
        Path out = tmp.resolve("out");
        Llama2cImporter.importModel(BIN, TOK, out);
        for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            assertEquals(JSON.readTree(HF.resolve(f).toFile()), JSON.readTree(out.resolve(f).toFile()), f);
        }
        JsonNode merges = JSON.readTree(out.resolve("tokenizer.json").toFile()).path("model").path("merges");
        assertEquals("\u2581 t", merges.get(0).asText(), "highest-score piece first");
        assertEquals(ModelConfig.load(HF), ModelConfig.load(out));
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of(OutputPolicy.MARKER, "config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary files left");
        }
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(out), files.toList(), "no temporary directory left beside OUT");
        }
    }

    @Test
    void negativeVocabSizeMeansUntiedClassifierFromWcls() throws IOException {
        byte[] bin = Files.readAllBytes(BIN);
        int vocab = 512, dim = 64;
        ByteBuffer b = ByteBuffer.allocate(bin.length + 4 * vocab * dim).order(ByteOrder.LITTLE_ENDIAN);
        b.put(bin).putInt(20, -vocab);
        for (int i = 0; i < vocab * dim; i++) b.putFloat(bin.length + 4 * i, i * 0.25f);
        Path untied = tmp.resolve("untied.bin");
        Files.write(untied, b.array());
        Path out = tmp.resolve("out");
        Llama2cImporter.importModel(untied, TOK, out);
        assertFalse(ModelConfig.load(out).tieWordEmbeddings());
        try (Checkpoint ck = Checkpoint.open(out); Checkpoint ref = Checkpoint.open(HF)) {
            float[] head = ck.tensor("lm_head.weight").toFloatArray();
            assertArrayEquals(new long[]{vocab, dim}, ck.tensor("lm_head.weight").shape());
            for (int i = 0; i < head.length; i += 97) assertEquals(i * 0.25f, head[i]);
            assertArrayEquals(ref.tensor("model.norm.weight").toFloatArray(), ck.tensor("model.norm.weight").toFloatArray());
        }
    }

    @Test
    void mergesFollowDescendingScoreAndSplitPosition() {
        List<String> pieces = new java.util.ArrayList<>(List.of(Llama2cVocabulary.SPECIALS));
        for (int i = 0; i < 256; i++) pieces.add(String.format("<0x%02X>", i));
        pieces.addAll(List.of("a", "b", "c", "ab", "bc", "abc"));
        float[] scores = new float[pieces.size()];
        scores[259 + 3] = -5;   // ab
        scores[259 + 4] = -1;   // bc
        scores[259 + 5] = -3;   // abc
        assertEquals(List.of("b c", "a bc", "ab c", "a b"), TokenizerJson.merges(new Llama2cVocabulary(pieces, scores)));
    }

    // ---- bad input: one line naming the file, nothing written ----

    private void assertFails(Path bin, Path tok, Path named, String problem) {
        Path out = tmp.resolve("out");
        ShallowException e = assertThrows(ShallowException.class, () -> Llama2cImporter.importModel(bin, tok, out));
        String m = e.getMessage();
        assertTrue(m.startsWith(named + ": "), m);
        assertTrue(m.contains(problem), "expected '" + problem + "' in: " + m);
        assertEquals(1, m.lines().count(), m);
        assertFalse(Files.exists(out), "OUT must not be created");
    }

    private Path binWith(java.util.function.Consumer<ByteBuffer> edit, int newLength) throws IOException {
        byte[] bin = Files.readAllBytes(BIN);
        ByteBuffer b = ByteBuffer.wrap(Arrays.copyOf(bin, newLength)).order(ByteOrder.LITTLE_ENDIAN);
        edit.accept(b);
        Path p = tmp.resolve("model.bin");
        Files.write(p, b.array());
        return p;
    }

    @Test
    void truncatedModel() throws IOException {
        Path bin = binWith(b -> { }, (int) Files.size(BIN) - 4);
        assertFails(bin, TOK, bin, "is 1056536 bytes but its header (dim 64, hidden_dim 172, n_layers 5, n_heads 8, n_kv_heads 4, "
                + "vocab_size 512, seq_len 512) needs 1056540 (truncated?)");
    }

    @Test
    void modelWithExtraBytes() throws IOException {
        Path bin = binWith(b -> { }, (int) Files.size(BIN) + 8);
        assertFails(bin, TOK, bin, "is 1056548 bytes but its header");
    }

    @Test
    void modelShorterThanHeader() throws IOException {
        Path bin = binWith(b -> { }, 12);
        assertFails(bin, TOK, bin, "file is 12 bytes, shorter than the 28-byte llama2.c header");
    }

    @Test
    void headsNotDividingDim() throws IOException {
        Path bin = binWith(b -> b.putInt(12, 7), (int) Files.size(BIN));
        assertFails(bin, TOK, bin, "impossible llama2.c header (dim 64, hidden_dim 172, n_layers 5, n_heads 7, ");
    }

    /** Dimensions whose products would overflow (a corrupt header) are refused before anything is sized from them. */
    @Test
    void dimensionsBeyondWhatShallowAccepts() throws IOException {
        Path bin = binWith(b -> b.putInt(4, Integer.MAX_VALUE), (int) Files.size(BIN));
        assertFails(bin, TOK, bin, "sizes beyond what Shallow accepts");
        Path layers = binWith(b -> b.putInt(8, Integer.MAX_VALUE), (int) Files.size(BIN));
        assertFails(layers, TOK, layers, "sizes beyond what Shallow accepts");
    }

    @Test
    void nonPositiveLayers() throws IOException {
        Path bin = binWith(b -> b.putInt(8, 0), (int) Files.size(BIN));
        assertFails(bin, TOK, bin, "n_layers 0");
    }

    @Test
    void laterExportVersionNamed() throws IOException {
        Path bin = binWith(b -> b.putInt(0, 0x616b3432).putInt(4, 2), (int) Files.size(BIN));
        assertFails(bin, TOK, bin, "llama2.c version-2 export");
    }

    @Test
    void missingModel() {
        Path bin = tmp.resolve("absent.bin");
        assertFails(bin, TOK, bin, "file not found");
    }

    @Test
    void missingTokenizer() {
        Path tok = tmp.resolve("absent-tok.bin");
        assertFails(BIN, tok, tok, "file not found");
    }

    @Test
    void truncatedTokenizer() throws IOException {
        Path tok = tmp.resolve("tok.bin");
        Files.write(tok, Arrays.copyOf(Files.readAllBytes(TOK), 3000));
        assertFails(BIN, tok, tok, "ends inside token");
    }

    @Test
    void tokenizerForAnotherVocabularySize() throws IOException {
        Path tok = tmp.resolve("tok.bin");
        byte[] t = Files.readAllBytes(TOK);
        Files.write(tok, ByteBuffer.allocate(t.length + 13).order(ByteOrder.LITTLE_ENDIAN).put(t).putFloat(0f).putInt(5).put("extra".getBytes()).array());
        assertFails(BIN, tok, tok, "has 13 bytes after the 512 tokens the model's vocab_size asks for");
    }

    @Test
    void refusesNonEmptyOutUnlessShallowWroteItAndForced() throws IOException {
        Path out = tmp.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        ShallowException e = assertThrows(ShallowException.class, () -> Llama2cImporter.importModel(BIN, TOK, out, true));
        assertTrue(e.getMessage().startsWith(out + ": exists, is not empty and was not written by shallow"), e.getMessage());
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));
        Files.delete(out.resolve("keep.txt"));
        Llama2cImporter.importModel(BIN, TOK, out);
        e = assertThrows(ShallowException.class, () -> Llama2cImporter.importModel(BIN, TOK, out));
        assertEquals(out + ": already exists (written by shallow); add --force to replace it", e.getMessage());
        Llama2cImporter.importModel(BIN, TOK, out, true);
        assertTrue(Files.exists(out.resolve("model.safetensors")));
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(out), files.toList(), "old directory removed");
        }
    }

    @Test
    void emptyExistingOutIsFilled() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Llama2cImporter.importModel(BIN, TOK, out);
        assertTrue(Files.exists(out.resolve("tokenizer.json")));
    }

    @Test
    void commandPrintsWhatItWrote() {
        Path out = tmp.resolve("cli-out");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        try {
            System.setOut(new PrintStream(buf, true));
            code = new CommandLine(new ImportLlama2cCommand()).execute(BIN.toString(), TOK.toString(), out.toString());
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code);
        String printed = buf.toString();
        assertTrue(printed.startsWith("wrote " + out + ": 5 layers x 64 hidden, vocab 512, tied embeddings, "), printed);
        assertTrue(printed.contains(out.resolve("model.safetensors").toString()), printed);
        assertTrue(Files.exists(out.resolve("config.json")));
    }
}
