package dev.shallow.model;

import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.io.GgufBuilder;
import dev.shallow.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * stories260K.gguf (../shared/real, llama.cpp's converter from llama2.c) read as a model: its config from the metadata,
 * its tensors from llama.cpp's names, q/k put back into rotate-half order; and GGUFs it cannot compute refused in one line.
 */
class GgufModelTest {
    static final Path STORIES = Shared.root().resolve("real/stories260K-gguf/stories260K.gguf");

    @TempDir
    Path tmp;

    @Test
    void configFromMetadataIsTheHuggingFaceConfig() {
        try (Model gguf = Model.load(STORIES); Model hf = Model.load(Shared.model("stories260K"))) {
            ModelConfig g = gguf.config(), h = hf.config();
            ModelConfig.Builder same = new ModelConfig.Builder(g); // what GGUF records otherwise: names, context, the explicit output
            same.architecture = h.architecture();
            same.maxPositionEmbeddings = h.maxPositionEmbeddings();
            same.tieWordEmbeddings = h.tieWordEmbeddings();
            assertEquals(h, same.build());
            assertEquals(2048, g.maxPositionEmbeddings()); // llama.cpp's converter writes its own context (PROVENANCE.md)
        }
    }

    /** Every projection equals the Hugging Face copy's element for element (q/k after undoing the permutation). */
    @Test
    void tensorsEqualTheHuggingFaceCopy() {
        try (Model gguf = Model.load(STORIES); Model hf = Model.load(Shared.model("stories260K"))) {
            assertSame(hf.embed(), gguf.embed());
            assertSame(hf.lmHead(), gguf.lmHead());
            for (int l = 0; l < hf.config().numLayers(); l++) {
                for (int m = 0; m < hf.layer(l).matrices().size(); m++) assertSame(hf.layer(l).matrices().get(m), gguf.layer(l).matrices().get(m));
            }
        }
    }

    private static void assertSame(Tensor want, Tensor got) {
        assertEquals(java.util.Arrays.toString(want.shape()), java.util.Arrays.toString(got.shape()));
        for (long i = 0; i < want.size(); i++) assertEquals(want.get(i), got.get(i), "element " + i);
    }

    @Test
    void unsupportedArchitectureIsRefused() throws IOException {
        Path f = patched(b -> replaceString(b, "llama", "llamb", "general.architecture"));
        assertRefused(f, "unsupported GGUF architecture 'llamb'", "supported: llama");
    }

    @Test
    void missingTensorIsRefused() throws IOException {
        Path f = patched(b -> rename(b, "blk.4.ffn_up.weight", "blk.4.ffn_uq.weight"));
        assertRefused(f, "tensor 'blk.4.ffn_up.weight'", "missing");
    }

    @Test
    void tensorOfTheWrongShapeIsRefused() throws IOException {
        Path f = patched(b -> putInt(b, after(b, "llama.feed_forward_length") + 4, 171)); // after the u32 value type
        assertRefused(f, "tensor 'blk.0.ffn_gate.weight' has shape [172, 64]", "implies [171, 64]");
    }

    @Test
    void unreadQuantizedTypeIsRefused() throws IOException {
        // tensor info: name, u32 n_dims (2), two u64 ne, then the u32 type: F32 (0) becomes Q4_1 (3), a smaller extent
        Path f = patched(b -> putInt(b, after(b, "blk.0.attn_q.weight") + 4 + 16, 3));
        assertRefused(f, "tensor 'blk.0.attn_q.weight' is Q4_1", "does not read");
    }

    private static void assertRefused(Path f, String... parts) {
        ShallowException e = assertThrows(ShallowException.class, () -> Model.load(f).close());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        for (String p : parts) assertTrue(e.getMessage().contains(p), e.getMessage() + " should say " + p);
    }

    private Path patched(UnaryOperator<byte[]> edit) throws IOException {
        return Files.write(tmp.resolve("patched.gguf"), edit.apply(Files.readAllBytes(STORIES)));
    }

    /** The byte after the GGUF string {@code s} (u64 length, bytes) in {@code b}. */
    private static int after(byte[] b, String s) {
        byte[] needle = GgufBuilder.string(s);
        outer:
        for (int i = 0; i + needle.length <= b.length; i++) {
            for (int j = 0; j < needle.length; j++) if (b[i + j] != needle[j]) continue outer;
            return i + needle.length;
        }
        throw new AssertionError(s + " not in the file");
    }

    private static byte[] putInt(byte[] b, int at, int v) {
        GgufBuilder.le(4).putInt(v).flip().get(b, at, 4);
        return b;
    }

    /** The string value of {@code key} (u32 type 8, then the string), replaced by one of the same length. */
    private static byte[] replaceString(byte[] b, String from, String to, String key) {
        int at = after(b, key) + 4;
        assertEquals(from, new String(b, at + 8, from.length(), StandardCharsets.UTF_8));
        System.arraycopy(to.getBytes(StandardCharsets.UTF_8), 0, b, at + 8, to.length());
        return b;
    }

    /** The first occurrence of string {@code from} renamed to {@code to}, of the same length. */
    private static byte[] rename(byte[] b, String from, String to) {
        int at = after(b, from) - from.length();
        System.arraycopy(to.getBytes(StandardCharsets.UTF_8), 0, b, at, to.length());
        return b;
    }
}
