package dev.shallow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import dev.shallow.io.GgmlType;
import dev.shallow.io.GgufBuilder;
import dev.shallow.io.GgufFile;
import dev.shallow.io.GgufTensorInfo;
import dev.shallow.io.GgufValueType;
import dev.shallow.model.Model;
import dev.shallow.transformer.KVCache;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static dev.shallow.cli.CliTest.assertOneLineError;
import static dev.shallow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** shallow convert and shallow prune --format gguf: what they write, what they keep byte for byte, and what they refuse. */
class GgufCommandsTest {
    private static final Path STORIES_GGUF = Shared.root().resolve("real/stories260K-gguf/stories260K.gguf");

    @TempDir
    Path tmp;

    private static byte[] bytes(GgufFile f, String tensor) {
        return f.tensorData(tensor).toArray(ValueLayout.JAVA_BYTE);
    }

    /** Nothing but {@code names} in {@code dir}: no temporaries left behind. */
    private static void assertOnly(Path dir, String... names) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(names), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    /** Pruning a GGUF copies every kept tensor's bytes, renumbers blk.N, sets block_count and keeps every other key. */
    @Test
    void pruningAnF32GgufCopiesKeptTensors() throws IOException {
        Path out = tmp.resolve("s4.gguf");
        CliTest.Run r = run("prune", STORIES_GGUF.toString(), "--remove", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        int[] kept = {0, 1, 3, 4};
        try (GgufFile in = GgufFile.open(STORIES_GGUF); GgufFile o = GgufFile.open(out)) {
            assertEquals(4, o.metadata().longValue("llama.block_count"));
            for (String k : in.metadata().keys()) {
                if (!k.equals("llama.block_count")) assertArrayEquals(in.metadata().encoded(k), o.metadata().encoded(k), k);
            }
            assertArrayEquals(kept, o.metadata().intArray("shallow.pruning.kept"));
            assertArrayEquals(new int[] {2}, o.metadata().intArray("shallow.pruning.removed"));
            assertEquals(5, o.metadata().longValue("shallow.pruning.layers_before"));
            JsonNode record = new ObjectMapper().readTree(o.metadata().string("shallow.pruning.record"));
            assertEquals("explicit", record.path("strategy").asText());
            int layerTensors = 0;
            for (GgufTensorInfo t : in.tensors().values()) {
                if (!t.name().startsWith("blk.")) {
                    assertArrayEquals(bytes(in, t.name()), bytes(o, t.name()), t.name());
                    continue;
                }
                String[] p = t.name().split("\\.", 3);
                int idx = Arrays.binarySearch(kept, Integer.parseInt(p[1]));
                if (idx < 0) continue;
                assertArrayEquals(bytes(in, t.name()), bytes(o, "blk." + idx + "." + p[2]), t.name());
                layerTensors++;
            }
            assertEquals(4 * 9, layerTensors);
            assertEquals(in.tensors().size() - 9, o.tensors().size());
        }
        try (Model m = Model.load(out)) {
            assertEquals(4, m.config().numLayers());
        }
        assertOnly(tmp, "s4.gguf");
    }

    /**
     * A quantized GGUF (Q8_0, Q4_K blocks of random bytes: to the pruner they are bytes) with a per-layer array: kept tensors
     * byte-identical, the array cut to the kept layers, other arrays (the tokenizer's) untouched.
     */
    @Test
    void pruningAQuantizedGgufCopiesBlocksAndCutsPerLayerArrays() throws IOException {
        Random rnd = new Random(5);
        int layers = 4, hidden = 256, vocab = 4;
        GgufBuilder b = new GgufBuilder().string("general.architecture", "llama")
                .u32("llama.block_count", layers).u32("llama.embedding_length", hidden).u32("llama.feed_forward_length", hidden)
                .u32("llama.attention.head_count", 2).f32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                .u32("llama.attention.head_count_kv", 2).intArray("llama.per_layer.test", 10, 11, 12, 13)
                .raw("llama.per_layer.flags", GgufValueType.ARRAY.id, concat(GgufBuilder.arrayHeader(GgufValueType.BOOL, 4), new byte[] {1, 0, 1, 1}))
                .stringArray("tokenizer.ggml.tokens", "a", "b", "c", "d");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        record T(String name, GgmlType type, long[] ne) {
        }
        List<T> tensors = new java.util.ArrayList<>(List.of(new T("token_embd.weight", GgmlType.Q8_0, new long[] {hidden, vocab})));
        for (int l = 0; l < layers; l++) {
            tensors.add(new T("blk." + l + ".attn_norm.weight", GgmlType.F32, new long[] {hidden}));
            tensors.add(new T("blk." + l + ".attn_q.weight", GgmlType.Q4_K, new long[] {hidden, hidden}));
            tensors.add(new T("blk." + l + ".ffn_down.weight", GgmlType.Q8_0, new long[] {hidden, hidden}));
        }
        tensors.add(new T("output_norm.weight", GgmlType.F32, new long[] {hidden}));
        for (T t : tensors) {
            long elements = 1;
            for (long d : t.ne()) elements *= d;
            byte[] block = new byte[(int) (elements / t.type().blockSize * t.type().bytesPerBlock)];
            rnd.nextBytes(block);
            b.tensor(t.name(), t.type(), data.size(), t.ne());
            data.writeBytes(block);
            while (data.size() % 32 != 0) data.write(0);
        }
        Path in = b.data(data.toByteArray()).write(tmp.resolve("q.gguf")), out = tmp.resolve("q3.gguf");
        CliTest.Run r = run("prune", in.toString(), "--remove", "1", "--out", out.toString(), "--format", "gguf");
        assertEquals(0, r.code(), r.err());
        try (GgufFile i = GgufFile.open(in); GgufFile o = GgufFile.open(out)) {
            assertArrayEquals(new int[] {10, 12, 13}, o.metadata().intArray("llama.per_layer.test"));
            assertEquals("array[i32]", o.metadata().typeName("llama.per_layer.test"));
            assertEquals("array[bool]", o.metadata().typeName("llama.per_layer.flags"));
            assertEquals(3, o.metadata().arrayLength("llama.per_layer.flags"));
            assertArrayEquals(i.metadata().encoded("tokenizer.ggml.tokens"), o.metadata().encoded("tokenizer.ggml.tokens"));
            assertEquals(3, o.metadata().longValue("llama.block_count"));
            assertArrayEquals(bytes(i, "token_embd.weight"), bytes(o, "token_embd.weight"));
            int[] kept = {0, 2, 3};
            for (int n = 0; n < kept.length; n++) {
                for (String part : List.of("attn_norm", "attn_q", "ffn_down")) {
                    String from = "blk." + kept[n] + "." + part + ".weight", to = "blk." + n + "." + part + ".weight";
                    assertEquals(i.tensors().get(from).type(), o.tensors().get(to).type());
                    assertArrayEquals(bytes(i, from), bytes(o, to), from);
                }
            }
            assertFalse(o.tensors().containsKey("blk.3.attn_q.weight"));
        }
    }

    private static byte[] concat(ByteArrayOutputStream head, byte[] tail) {
        head.writeBytes(tail);
        return head.toByteArray();
    }

    /** HF -> GGUF pruned computes what the pruned Hugging Face checkpoint computes. */
    @Test
    void pruningADirectoryToGgufEqualsThePrunedDirectory() throws IOException {
        Path hf = tmp.resolve("hf"), gguf = tmp.resolve("p.gguf");
        assertEquals(0, run("prune", Shared.model("stories-16L").toString(), "--remove", "6-9", "--out", hf.toString()).code());
        CliTest.Run r = run("prune", Shared.model("stories-16L").toString(), "--remove", "6-9", "--format", "gguf", "--out", gguf.toString());
        assertEquals(0, r.code(), r.err());
        int[] ids = {1, 403, 407, 261, 378, 260, 500, 300, 17, 90};
        float[] want, got;
        try (Model m = Model.load(hf)) {
            Transformer tf = new Transformer(m);
            want = tf.forward(new int[][] {ids}, new KVCache[] {tf.newCache(ids.length)}, true, null);
        }
        try (Model m = Model.load(gguf)) {
            assertEquals(12, m.config().numLayers());
            Transformer tf = new Transformer(m);
            got = tf.forward(new int[][] {ids}, new KVCache[] {tf.newCache(ids.length)}, true, null);
        }
        assertArrayEquals(want, got);
        try (GgufFile o = GgufFile.open(gguf)) {
            assertArrayEquals(new int[] {6, 7, 8, 9}, o.metadata().intArray("shallow.pruning.removed"));
        }
    }

    /** SmolLM3's NoPE layers are every 4th in llama.cpp: a pruning that moves them cannot be written as GGUF. */
    @Test
    void pruningThatMovesSmolLM3NoPeLayersIsRefused() {
        Path out = tmp.resolve("s.gguf");
        assertOneLineError(run("prune", Shared.model("tiny-smollm3-random").toString(), "--remove", "1", "--format", "gguf", "--out", out.toString()),
                "no_rope_layers", "every 4th");
        assertFalse(Files.exists(out));
        assertEquals(0, run("prune", Shared.model("tiny-smollm3-random").toString(), "--remove", "8-11", "--format", "gguf", "--out", out.toString()).code());
    }

    /** convert: GGUF -> GGUF keeps everything; --dtype f16 re-types the matrices only; then back through Model.load. */
    @Test
    void convertingAGgufAgain() throws IOException {
        Path same = tmp.resolve("same.gguf"), half = tmp.resolve("half.gguf");
        assertEquals(0, run("convert", STORIES_GGUF.toString(), "--out", same.toString()).code());
        assertArrayEquals(Files.readAllBytes(STORIES_GGUF), Files.readAllBytes(same));
        CliTest.Run r = run("convert", STORIES_GGUF.toString(), "--out", half.toString(), "--dtype", "f16");
        assertEquals(0, r.code(), r.err());
        try (GgufFile f = GgufFile.open(half)) {
            assertEquals(GgmlType.F16, f.tensors().get("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.F32, f.tensors().get("blk.0.attn_norm.weight").type());
            assertEquals(1, f.metadata().longValue("general.file_type"));
        }
        try (Model m = Model.load(half)) {
            assertEquals("float16", m.config().torchDtype());
        }
    }

    /**
     * --dtype q8_0 on the command line: prune --format gguf of a directory and convert of a GGUF write Q8_0 (file_type 7);
     * the Q8_0 file converted to a directory is dequantized to F32; --dtype q8_0 to a directory is refused in one line.
     */
    @Test
    void q8_0OnTheCommandLine() {
        Path pruned = tmp.resolve("p.gguf"), again = tmp.resolve("again.gguf"), hf = tmp.resolve("hf");
        CliTest.Run r = run("prune", Shared.model("stories-16L").toString(), "--remove", "6-9", "--format", "gguf", "--dtype", "q8_0", "--out", pruned.toString());
        assertEquals(0, r.code(), r.err());
        r = run("convert", STORIES_GGUF.toString(), "--out", again.toString(), "--dtype", "Q8_0");
        assertEquals(0, r.code(), r.err());
        for (Path p : List.of(pruned, again)) {
            try (GgufFile f = GgufFile.open(p)) {
                assertEquals(GgmlType.Q8_0, f.tensors().get("blk.0.ffn_up.weight").type(), p.toString());
                assertEquals(GgmlType.F32, f.tensors().get("blk.0.ffn_norm.weight").type(), p.toString());
                assertEquals(7, f.metadata().longValue("general.file_type"), p.toString());
            }
        }
        r = run("convert", pruned.toString(), "--out", hf.toString());
        assertEquals(0, r.code(), r.err());
        try (Model m = Model.load(hf)) {
            assertEquals(12, m.config().numLayers());
            assertEquals(dev.shallow.tensor.DType.F32, m.layer(0).matrices().getFirst().dtype());
        }
        assertOneLineError(run("convert", pruned.toString(), "--out", tmp.resolve("hf2").toString(), "--dtype", "q8_0"), "--dtype q8_0", "f32, f16 or bf16");
    }

    @Test
    void convertWritesAGgufOfADirectory() {
        Path out = tmp.resolve("q.gguf");
        CliTest.Run r = run("convert", Shared.model("tiny-qwen3-random").toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("qwen3, 10 layers"), r.out());
        CliTest.Run w = run("convert", Shared.model("tiny-mistral-random").toString(), "--out", tmp.resolve("m.gguf").toString());
        assertOneLineError(w, "config.json", "sliding_window = 8", "longer than 8 tokens", "--allow-ignored-window");
        CliTest.Run allowed = run("convert", Shared.model("tiny-mistral-random").toString(), "--out", tmp.resolve("m.gguf").toString(), "--allow-ignored-window");
        assertEquals(0, allowed.code(), allowed.err());
        assertTrue(allowed.err().contains("warning") && allowed.err().contains("sliding_window = 8"), allowed.err());
    }

    /** Outputs: never an input or inside one, an existing file only with --force, nothing left behind on refusal. */
    @Test
    void outputSafety() throws IOException {
        Path copy = Files.copy(STORIES_GGUF, tmp.resolve("in.gguf"));
        byte[] before = Files.readAllBytes(copy);
        assertOneLineError(run("prune", copy.toString(), "--remove", "2", "--out", copy.toString()), "is an input");
        assertOneLineError(run("convert", copy.toString(), "--out", copy.toString(), "--force"), "is an input");
        Path dir = Shared.copyModel(Shared.model("stories260K"), tmp.resolve("hf"));
        assertOneLineError(run("convert", dir.toString(), "--out", dir.resolve("x.gguf").toString()), "inside an input");
        Path out = tmp.resolve("out.gguf");
        Files.writeString(out, "mine");
        assertOneLineError(run("convert", copy.toString(), "--out", out.toString()), "already exists", "--force");
        assertEquals("mine", Files.readString(out));
        assertEquals(0, run("convert", copy.toString(), "--out", out.toString(), "--force").code());
        assertArrayEquals(before, Files.readAllBytes(copy));
        assertArrayEquals(before, Files.readAllBytes(out));
        assertOnly(tmp, "hf", "in.gguf", "out.gguf");
    }

    /** A truncated GGUF and an unknown architecture: one line naming the file, exit 1, nothing written. */
    @Test
    void badInput() throws IOException {
        byte[] all = Files.readAllBytes(STORIES_GGUF);
        Path truncated = Files.write(tmp.resolve("t.gguf"), Arrays.copyOf(all, all.length / 2));
        Path out = tmp.resolve("o.gguf");
        CliTest.Run r = run("prune", truncated.toString(), "--remove", "1", "--out", out.toString());
        assertEquals(1, r.code());
        assertOneLineError(r, "t.gguf", "truncated");
        assertOneLineError(run("convert", truncated.toString(), "--out", out.toString()), "t.gguf", "truncated");
        Path unknown = new GgufBuilder().string("general.architecture", "mamba").u32("mamba.block_count", 2).write(tmp.resolve("u.gguf"));
        CliTest.Run u = run("prune", unknown.toString(), "--remove", "1", "--out", out.toString());
        assertEquals(1, u.code());
        assertOneLineError(u, "u.gguf", "mamba");
        assertFalse(Files.exists(out));
        assertOnly(tmp, "t.gguf", "u.gguf");
    }

    /**
     * GGUF -> Hugging Face directory: llama.cpp's own stories260K.gguf gives the bundled checkpoint's tensors (q/k back in
     * rotate-half order, element for element), a config.json that reads back as the GGUF's config, and a tokenizer.json that
     * tokenizes as the Hugging Face one; then HF -> GGUF -> HF gives the same tensors byte for byte (BF16 Qwen3).
     */
    @Test
    void convertingAGgufToADirectory() throws IOException {
        Path dir = tmp.resolve("hf");
        CliTest.Run r = run("convert", STORIES_GGUF.toString(), "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        try (Model m = Model.load(dir); Model hf = Model.load(Shared.model("stories260K"))) {
            assertEquals(5, m.config().numLayers());
            for (int l = 0; l < 5; l++) {
                for (int i = 0; i < hf.layer(l).matrices().size(); i++) {
                    var want = hf.layer(l).matrices().get(i);
                    var got = m.layer(l).matrices().get(i);
                    for (long e = 0; e < want.size(); e++) assertEquals(want.get(e), got.get(e));
                }
            }
        }
        dev.shallow.tokenizer.Tokenizer src = dev.shallow.tokenizer.Tokenizer.load(Shared.model("stories260K")), out = dev.shallow.tokenizer.Tokenizer.load(dir);
        for (String t : List.of("Once upon a time, there was a little girl named Lily.", " two  spaces", "", "é 日 🙂")) {
            assertArrayEquals(src.encode(t, true), out.encode(t, true), t);
        }
        Path gguf = tmp.resolve("q.gguf"), back = tmp.resolve("back");
        assertEquals(0, run("convert", Shared.model("tiny-qwen3-random").toString(), "--out", gguf.toString()).code());
        CliTest.Run b = run("convert", gguf.toString(), "--out", back.toString());
        assertEquals(0, b.code(), b.err());
        try (var a = dev.shallow.io.SafetensorsFile.open(Shared.model("tiny-qwen3-random").resolve("model.safetensors"));
             var c = dev.shallow.io.SafetensorsFile.open(back.resolve("model.safetensors"))) {
            for (String name : a.tensors().keySet()) {
                if (a.tensors().get(name).shape().length != 2) continue; // norms are F32 in a GGUF, BF16 in the source
                assertArrayEquals(a.bytes(name).toArray(ValueLayout.JAVA_BYTE), c.bytes(name).toArray(ValueLayout.JAVA_BYTE), name);
            }
        }
    }
}
