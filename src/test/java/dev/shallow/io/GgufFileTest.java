package dev.shallow.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GgufFile on the real GGUF files in ../shared/real, checked against the facts their PROVENANCE.md records. */
class GgufFileTest {
    static final Path SHARED = Path.of(System.getProperty("shallow.shared", "../shared"));
    static final Path STORIES = SHARED.resolve("real/stories260K-gguf/stories260K.gguf");
    private static final int HEAD_DIM = 8;

    @Test
    void stories260KHeaderAndHyperParameters() {
        try (GgufFile g = GgufFile.open(STORIES)) {
            GgufMetadata m = g.metadata();
            assertEquals(3, g.version());
            assertEquals(48, g.tensors().size());
            assertEquals(19, m.keys().size());
            assertFalse(m.has("general.alignment"));
            assertEquals(32, g.alignment());
            assertEquals(14_176, g.dataOffset());
            assertEquals("llama", m.string("general.architecture"));
            assertEquals("llama", m.string("general.name"));
            assertEquals("llama", m.string("tokenizer.ggml.model"));
            assertEquals(2048, m.intValue("llama.context_length"));
            assertEquals(64, m.intValue("llama.embedding_length"));
            assertEquals(172, m.intValue("llama.feed_forward_length"));
            assertEquals(8, m.intValue("llama.attention.head_count"));
            assertEquals(4, m.intValue("llama.attention.head_count_kv"));
            assertEquals(5, m.intValue("llama.block_count"));
            assertEquals(HEAD_DIM, m.intValue("llama.rope.dimension_count"));
            assertEquals(1e-5f, m.floatValue("llama.attention.layer_norm_rms_epsilon"));
            assertEquals("u32", m.typeName("tokenizer.ggml.bos_token_id"));
            assertEquals(0, m.intValue("tokenizer.ggml.unknown_token_id"));
            assertEquals(1, m.intValue("tokenizer.ggml.bos_token_id"));
            assertEquals(2, m.intValue("tokenizer.ggml.eos_token_id"));
            assertEquals(4294967295L, m.longValue("tokenizer.ggml.seperator_token_id"));
            assertEquals(4294967295L, m.longValue("tokenizer.ggml.padding_token_id"));
        }
    }

    @Test
    void stories260KVocabularyEqualsTokenizerJson() throws IOException {
        JsonNode vocab = new ObjectMapper().readTree(SHARED.resolve("models/stories260K/tokenizer.json").toFile()).path("model").path("vocab");
        try (GgufFile g = GgufFile.open(STORIES)) {
            GgufMetadata m = g.metadata();
            String[] tokens = m.stringArray("tokenizer.ggml.tokens");
            float[] scores = m.floatArray("tokenizer.ggml.scores");
            int[] types = m.intArray("tokenizer.ggml.token_type");
            assertEquals(512, tokens.length);
            assertEquals(512, scores.length);
            assertEquals(512, types.length);
            assertEquals("array[string]", m.typeName("tokenizer.ggml.tokens"));
            assertEquals("array[i32]", m.typeName("tokenizer.ggml.token_type"));
            for (int id = 0; id < tokens.length; id++) assertEquals(id, vocab.path(tokens[id]).asInt(-1), tokens[id]);
            int[] typeCounts = new int[7];
            for (int t : types) typeCounts[t]++;
            assertArrayEquals(new int[] {0, 253, 1, 2, 0, 0, 256}, typeCounts);
            assertEquals(2, types[0]);
            float min = 0;
            for (int id = 0; id < scores.length; id++) {
                if (id <= 258) assertEquals(0f, scores[id]);
                else assertTrue(Float.floatToRawIntBits(scores[id]) < 0, "negative (id 259 is -0.0)");
                min = Math.min(min, scores[id]);
            }
            assertEquals(-252f, min);
        }
    }

    @Test
    void stories260KTensorsArePackedF32InFileOrder() throws IOException {
        List<String> names = new ArrayList<>(List.of("token_embd.weight", "output_norm.weight", "output.weight"));
        List<long[]> shapes = new ArrayList<>(List.of(new long[] {64, 512}, new long[] {64}, new long[] {64, 512}));
        for (int n = 0; n < 5; n++) {
            for (String t : List.of("attn_q", "attn_k", "attn_v", "attn_output", "attn_norm", "ffn_gate", "ffn_down", "ffn_up", "ffn_norm")) {
                names.add("blk." + n + "." + t + ".weight");
            }
            shapes.addAll(List.of(new long[] {64, 64}, new long[] {64, 32}, new long[] {64, 32}, new long[] {64, 64}, new long[] {64},
                    new long[] {64, 172}, new long[] {172, 64}, new long[] {64, 172}, new long[] {64}));
        }
        try (GgufFile g = GgufFile.open(STORIES)) {
            assertEquals(names, List.copyOf(g.tensors().keySet()));
            long expectedOffset = 0;
            int i = 0;
            for (GgufTensorInfo t : g.tensors().values()) {
                assertEquals(GgmlType.F32, t.type(), t.name());
                assertArrayEquals(shapes.get(i++), t.ne(), t.name());
                assertEquals(expectedOffset, t.offset(), t.name());
                assertEquals(4 * t.elements(), t.bytes(), t.name());
                assertEquals(t.bytes(), g.tensorData(t.name()).byteSize());
                expectedOffset = t.end();
            }
            assertEquals(Files.size(STORIES) - g.dataOffset(), expectedOffset);
        }
    }

    /** 38 tensors equal the Hugging Face checkpoint's bit for bit; q and k after undoing llama.cpp's per-head row interleave. */
    @Test
    void stories260KWeightsEqualTheHuggingFaceCheckpoint() {
        Map<String, String> hf = new java.util.LinkedHashMap<>();
        hf.put("token_embd.weight", "model.embed_tokens.weight");
        hf.put("output.weight", "model.embed_tokens.weight");
        hf.put("output_norm.weight", "model.norm.weight");
        Map<String, String> perLayer = Map.of("attn_v", "self_attn.v_proj", "attn_output", "self_attn.o_proj", "attn_norm", "input_layernorm",
                "ffn_norm", "post_attention_layernorm", "ffn_gate", "mlp.gate_proj", "ffn_up", "mlp.up_proj", "ffn_down", "mlp.down_proj");
        for (int n = 0; n < 5; n++) {
            for (Map.Entry<String, String> e : perLayer.entrySet()) hf.put("blk." + n + "." + e.getKey() + ".weight", "model.layers." + n + "." + e.getValue() + ".weight");
        }
        try (GgufFile g = GgufFile.open(STORIES);
             SafetensorsFile s = SafetensorsFile.open(SHARED.resolve("models/stories260K/model.safetensors"))) {
            assertEquals(38, hf.size());
            hf.forEach((gguf, name) -> assertEquals(-1, g.tensorData(gguf).mismatch(s.bytes(name)), gguf));
            for (int n = 0; n < 5; n++) {
                assertInterleavedRows(g.tensorData("blk." + n + ".attn_q.weight"), s.bytes("model.layers." + n + ".self_attn.q_proj.weight"));
                assertInterleavedRows(g.tensorData("blk." + n + ".attn_k.weight"), s.bytes("model.layers." + n + ".self_attn.k_proj.weight"));
            }
        }
    }

    /** gguf_row[h*d + 2i + p] = hf_row[h*d + p*d/2 + i] (PROVENANCE.md), rows of 64 floats. */
    private static void assertInterleavedRows(MemorySegment gguf, MemorySegment hf) {
        long rowBytes = 64 * 4;
        long rows = gguf.byteSize() / rowBytes;
        assertEquals(hf.byteSize(), gguf.byteSize());
        assertFalse(gguf.mismatch(hf) == -1, "stored rows are permuted, so they differ");
        for (long h = 0; h < rows / HEAD_DIM; h++) {
            for (int i = 0; i < HEAD_DIM / 2; i++) {
                for (int p = 0; p < 2; p++) {
                    MemorySegment g = gguf.asSlice((h * HEAD_DIM + 2 * i + p) * rowBytes, rowBytes);
                    MemorySegment f = hf.asSlice((h * HEAD_DIM + (long) p * HEAD_DIM / 2 + i) * rowBytes, rowBytes);
                    assertEquals(-1, g.mismatch(f));
                }
            }
        }
    }

    /** PROVENANCE.md's table: model, pre-tokenizer, tokens, merges, bos/eos/unk and add_bos of each vocabulary-only file. */
    @TestFactory
    List<DynamicTest> llamaCppVocabularies() {
        record Vocab(String name, String model, String pre, int tokens, int merges, int bos, int eos, int unk, boolean addBos) {
        }
        List<Vocab> vocabs = List.of(
                new Vocab("llama-spm", "llama", "default", 32_000, 0, 1, 2, 0, true),
                new Vocab("phi-3", "llama", "default", 32_064, 0, 1, 32_000, 0, true),
                new Vocab("gpt-2", "gpt2", "gpt-2", 50_257, 50_000, 50_256, 50_256, -1, false),
                new Vocab("deepseek-coder", "gpt2", "deepseek-coder", 32_256, 31_757, 32_013, 32_014, -1, true),
                new Vocab("deepseek-llm", "gpt2", "deepseek-llm", 102_400, 99_757, 100_000, 100_001, -1, true),
                new Vocab("falcon", "gpt2", "falcon", 65_024, 64_784, 11, 11, -1, false),
                new Vocab("starcoder", "gpt2", "starcoder", 49_152, 48_872, 0, 0, 0, false),
                new Vocab("mpt", "gpt2", "mpt", 50_432, 50_009, 0, 0, 0, false),
                new Vocab("refact", "gpt2", "refact", 49_216, 48_891, 0, 0, 0, false));
        List<DynamicTest> tests = new ArrayList<>();
        for (Vocab v : vocabs) {
            tests.add(DynamicTest.dynamicTest(v.name(), () -> {
                try (GgufFile g = GgufFile.open(SHARED.resolve("real/llama.cpp-vocab/ggml-vocab-" + v.name() + ".gguf"))) {
                    GgufMetadata m = g.metadata();
                    assertEquals(3, g.version());
                    assertTrue(g.tensors().isEmpty());
                    assertEquals(v.model(), m.string("tokenizer.ggml.model"));
                    assertEquals(v.pre(), m.string("tokenizer.ggml.pre"));
                    assertEquals(v.tokens(), m.stringArray("tokenizer.ggml.tokens").length);
                    assertEquals(v.tokens(), m.intArray("tokenizer.ggml.token_type").length);
                    assertEquals(v.model().equals("gpt2"), m.has("tokenizer.ggml.merges"));
                    assertEquals(v.model().equals("llama"), m.has("tokenizer.ggml.scores"));
                    if (v.merges() > 0) assertEquals(v.merges(), m.stringArray("tokenizer.ggml.merges").length);
                    else assertEquals(v.tokens(), m.floatArray("tokenizer.ggml.scores").length);
                    assertEquals(v.bos(), m.intValue("tokenizer.ggml.bos_token_id"));
                    assertEquals(v.eos(), m.intValue("tokenizer.ggml.eos_token_id"));
                    assertEquals(v.unk() >= 0, m.has("tokenizer.ggml.unknown_token_id"));
                    if (v.unk() >= 0) assertEquals(v.unk(), m.intValue("tokenizer.ggml.unknown_token_id"));
                    assertEquals(v.addBos(), m.has("tokenizer.ggml.add_bos_token"));
                    if (v.addBos()) assertTrue(m.bool("tokenizer.ggml.add_bos_token"));
                }
            }));
        }
        return tests;
    }
}
