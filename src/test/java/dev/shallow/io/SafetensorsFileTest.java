package dev.shallow.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.ShallowException;
import dev.shallow.model.ModelConfig;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

class SafetensorsFileTest {
    static final Path MODELS = Path.of(System.getProperty("shallow.shared", "../shared")).resolve("models");

    @TempDir
    Path tmp;

    @Test
    void stories260KHasEveryLlamaTensorWithConfigShapes() {
        Path dir = MODELS.resolve("stories260K");
        ModelConfig c = ModelConfig.load(dir);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            assertEquals(expectedNames(c, false), new TreeSet<>(ck.names()));
            assertShapes(ck, c, DType.F32);
        }
    }

    @Test
    void shardedQwen2HasBiasesAndUntiedHeadInBF16() {
        Path dir = MODELS.resolve("tiny-qwen2-random");
        ModelConfig c = ModelConfig.load(dir);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            assertEquals(expectedNames(c, true), new TreeSet<>(ck.names()));
            assertShapes(ck, c, DType.BF16);
            assertArrayEquals(new long[]{c.qDim()}, ck.info("model.layers.3.self_attn.q_proj.bias").shape());
            assertArrayEquals(new long[]{c.kvDim()}, ck.info("model.layers.3.self_attn.k_proj.bias").shape());
            assertArrayEquals(new long[]{c.vocabSize(), c.hiddenSize()}, ck.info("lm_head.weight").shape());
        }
    }

    @Test
    void bf16ValuesWidenToTheBitsReadIndependently() throws IOException {
        Path dir = MODELS.resolve("tiny-qwen2-random");
        JsonNode index = new ObjectMapper().readTree(dir.resolve(Checkpoint.INDEX).toFile());
        try (Checkpoint ck = Checkpoint.open(dir)) {
            for (String name : new String[]{"lm_head.weight", "model.layers.11.mlp.down_proj.weight", "model.norm.weight"}) {
                Path shard = dir.resolve(index.path("weight_map").path(name).asText());
                Tensor t = ck.tensor(name);
                for (long i : new long[]{0, 1, 17, t.size() / 2, t.size() - 1}) {
                    assertEquals(Float.floatToRawIntBits(rawBF16(shard, name, i)), Float.floatToRawIntBits(t.get(i)), name + "[" + i + "]");
                }
            }
        }
    }

    /** Element i of a BF16 tensor, read with plain file I/O: 8-byte LE header size, JSON, data offsets, 2 bytes LE as the top of an F32. */
    private static float rawBF16(Path file, String name, long i) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) b.getLong(0);
        JsonNode header = new ObjectMapper().readTree(new String(all, 8, n, StandardCharsets.UTF_8));
        long begin = header.path(name).path("data_offsets").path(0).asLong();
        int bits = b.getShort((int) (8 + n + begin + 2 * i)) & 0xFFFF;
        return Float.intBitsToFloat(bits << 16);
    }

    private static Set<String> expectedNames(ModelConfig c, boolean biasAndHead) {
        Set<String> names = new TreeSet<>(Set.of("model.embed_tokens.weight", "model.norm.weight"));
        if (biasAndHead) names.add("lm_head.weight");
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            for (String s : new String[]{"input_layernorm", "post_attention_layernorm", "self_attn.q_proj", "self_attn.k_proj",
                    "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"}) names.add(p + s + ".weight");
            if (biasAndHead) {
                for (String s : new String[]{"q_proj", "k_proj", "v_proj"}) names.add(p + "self_attn." + s + ".bias");
            }
        }
        return names;
    }

    private static void assertShapes(Checkpoint ck, ModelConfig c, DType dtype) {
        long h = c.hiddenSize(), f = c.intermediateSize();
        assertArrayEquals(new long[]{c.vocabSize(), h}, ck.info("model.embed_tokens.weight").shape());
        assertArrayEquals(new long[]{h}, ck.info("model.norm.weight").shape());
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            assertArrayEquals(new long[]{c.qDim(), h}, ck.info(p + "self_attn.q_proj.weight").shape());
            assertArrayEquals(new long[]{c.kvDim(), h}, ck.info(p + "self_attn.k_proj.weight").shape());
            assertArrayEquals(new long[]{c.kvDim(), h}, ck.info(p + "self_attn.v_proj.weight").shape());
            assertArrayEquals(new long[]{h, c.qDim()}, ck.info(p + "self_attn.o_proj.weight").shape());
            assertArrayEquals(new long[]{f, h}, ck.info(p + "mlp.gate_proj.weight").shape());
            assertArrayEquals(new long[]{f, h}, ck.info(p + "mlp.up_proj.weight").shape());
            assertArrayEquals(new long[]{h, f}, ck.info(p + "mlp.down_proj.weight").shape());
            assertArrayEquals(new long[]{h}, ck.info(p + "input_layernorm.weight").shape());
        }
        for (String name : ck.names()) assertEquals(dtype, ck.info(name).dtype(), name);
    }

    // ---- bad input: each error is one line naming the file and the problem ----

    /** A safetensors file with this header text (unpadded) and {@code dataBytes} zero bytes of data. */
    private Path file(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = tmp.resolve("bad.safetensors");
        Files.write(p, b.array());
        return p;
    }

    private static void assertFails(Path file, String problem) {
        ShallowException e = assertThrows(ShallowException.class, () -> SafetensorsFile.open(file).close());
        assertOneLineNaming(e, file, problem);
        assertNotMapped(file);
    }

    static void assertOneLineNaming(ShallowException e, Path file, String problem) {
        String m = e.getMessage();
        assertTrue(m.startsWith(file + ": "), m);
        assertTrue(m.contains(problem), "expected '" + problem + "' in: " + m);
        assertEquals(1, m.lines().count(), m);
    }

    /** A failed open must release its mapping: the file no longer appears in /proc/self/maps. */
    private static void assertNotMapped(Path file) {
        assertFalse(isMapped(file), "still mapped: " + file);
    }

    private static boolean isMapped(Path file) {
        Path maps = Path.of("/proc/self/maps");
        try {
            return Files.exists(maps) && Files.readString(maps).contains(file.toAbsolutePath().toString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void missingFile() {
        assertFails(tmp.resolve("absent.safetensors"), "file not found");
    }

    @Test
    void shorterThanTheLengthField() throws IOException {
        Path p = tmp.resolve("tiny.safetensors");
        Files.write(p, new byte[]{1, 2, 3});
        assertFails(p, "shorter than the 8-byte header length");
    }

    @Test
    void truncatedData() throws IOException {
        assertFails(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 10),
                "byte range [0, 16) is outside the data section (10 bytes; truncated?)");
    }

    @Test
    void headerLengthPastEndOfFile() throws IOException {
        Path p = tmp.resolve("past.safetensors");
        Files.write(p, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array());
        assertFails(p, "header length 1000 is past the end of the file (16 bytes");
    }

    @Test
    void headerLengthBeyondLimit() throws IOException {
        Path p = tmp.resolve("huge.safetensors");
        Files.write(p, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).array());
        assertFails(p, "header length 18446744073709551615 is not in 1..100000000");
    }

    @Test
    void rangeOutOfBounds() throws IOException {
        assertFails(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 12),
                "tensor 'a' byte range [8, 16) is outside the data section (12 bytes");
    }

    @Test
    void overlappingRanges() throws IOException {
        assertFails(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "tensors 'a' and 'b' overlap");
    }

    @Test
    void gapBetweenRanges() throws IOException {
        assertFails(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12), "bytes [4, 8) of the data section belong to no tensor");
    }

    @Test
    void trailingDataNotCovered() throws IOException {
        assertFails(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 9),
                "data section has 9 bytes but the tensors cover only 4");
    }

    @Test
    void unknownDtype() throws IOException {
        assertFails(file("{\"a\":{\"dtype\":\"F12\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'a' has unknown dtype 'F12'");
    }

    @Test
    void shapeSizeMismatch() throws IOException {
        assertFails(file("{\"a\":{\"dtype\":\"BF16\",\"shape\":[3,2],\"data_offsets\":[0,8]}}", 8),
                "tensor 'a' has 8 bytes in data_offsets but shape [3, 2] x BF16 needs 12");
    }

    @Test
    void shapeOverflow() throws IOException {
        assertFails(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4), "overflows");
    }

    @Test
    void invalidJsonHeader() throws IOException {
        assertFails(file("{\"a\":{\"dtype\":\"F32\",", 0), "header is not valid JSON");
    }

    @Test
    void headerNotAnObject() throws IOException {
        assertFails(file("[1, 2]", 0), "header is not a JSON object");
    }

    @Test
    void headerNotUtf8() throws IOException {
        Path p = file("{\"\u00e9\":{}}", 0);
        byte[] bytes = Files.readAllBytes(p);
        bytes[11] = (byte) 0xFF;
        Files.write(p, bytes);
        assertFails(p, "header is not valid UTF-8");
    }

    @Test
    void duplicateTensorName() throws IOException {
        assertFails(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "Duplicate field 'a'");
    }

    @Test
    void entryMissingItsFields() throws IOException {
        assertFails(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "tensor 'a' data_offsets is not an array of 2 integers");
        assertFails(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "tensor 'a' shape has -1");
        assertFails(file("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'a' has no dtype string");
        assertFails(file("{\"a\":7}", 0), "tensor 'a' is not a JSON object");
        assertFails(file("{\"__metadata__\":{\"format\":1}}", 0), "__metadata__ value 'format' is not a string");
    }

    @Test
    void validEdgeCasesOpen() throws IOException {
        Path empty = file("{}", 0);
        try (SafetensorsFile f = SafetensorsFile.open(empty)) {
            assertTrue(f.tensors().isEmpty());
            assertTrue(isMapped(empty) || !Files.exists(Path.of("/proc/self/maps")), "an open file is mapped");
        }
        assertNotMapped(empty);
        try (SafetensorsFile f = SafetensorsFile.open(file("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[4,4]},"
                + "\"a\":{\"dtype\":\"I8\",\"shape\":[],\"data_offsets\":[4,5]}}", 5))) {
            assertEquals(Arrays.asList("b", "e", "a"), f.tensors().keySet().stream().toList());
        }
    }

    // ---- sharded checkpoints ----

    /** A copy of tiny-qwen2-random whose index file has {@code edit} applied. */
    private Path qwenCopyWithIndex(java.util.function.UnaryOperator<String> edit) throws IOException {
        Path src = MODELS.resolve("tiny-qwen2-random"), dst = tmp.resolve("qwen");
        Files.createDirectories(dst);
        try (var files = Files.list(src)) {
            for (Path f : files.toList()) Files.copy(f, dst.resolve(f.getFileName()));
        }
        Path index = dst.resolve(Checkpoint.INDEX);
        index.toFile().setWritable(true);
        Files.writeString(index, edit.apply(Files.readString(index)));
        return dst;
    }

    private static void assertCheckpointFails(Path dir, Path named, String problem) {
        ShallowException e = assertThrows(ShallowException.class, () -> Checkpoint.open(dir).close());
        assertOneLineNaming(e, named, problem);
    }

    @Test
    void shardListedButAbsent() throws IOException {
        Path dir = qwenCopyWithIndex(s -> s.replaceFirst("model-00001-of-00002", "model-00009-of-00002"));
        assertCheckpointFails(dir, dir.resolve(Checkpoint.INDEX), "lists shard 'model-00009-of-00002.safetensors' which does not exist");
    }

    @Test
    void tensorListedInIndexButNotInShard() throws IOException {
        Path dir = qwenCopyWithIndex(s -> s.replace("\"lm_head.weight\": \"model-00001", "\"lm_head.weight\": \"model-00002"));
        assertCheckpointFails(dir, dir.resolve("model-00002-of-00002.safetensors"), "tensor 'lm_head.weight' listed in model.safetensors.index.json is not in this shard");
    }

    @Test
    void malformedIndex() throws IOException {
        Path dir = qwenCopyWithIndex(s -> s.substring(0, s.length() / 2));
        assertCheckpointFails(dir, dir.resolve(Checkpoint.INDEX), "content is not valid JSON");
    }

    @Test
    void indexWithoutWeightMap() throws IOException {
        Path dir = qwenCopyWithIndex(s -> s.replace("weight_map", "weights"));
        assertCheckpointFails(dir, dir.resolve(Checkpoint.INDEX), "has no weight_map object");
    }

    @Test
    void indexPointingOutsideTheDirectory() throws IOException {
        Path dir = qwenCopyWithIndex(s -> s.replaceFirst("\"model-00001-of-00002.safetensors\"", "\"../model-00001-of-00002.safetensors\""));
        assertCheckpointFails(dir, dir.resolve(Checkpoint.INDEX), "not a file name in this directory");
    }

    @Test
    void directoryWithoutWeights() {
        assertCheckpointFails(tmp, tmp, "no model.safetensors or model.safetensors.index.json found");
    }

    @Test
    void missingTensorNamesDirectoryAndTensor() {
        Path dir = MODELS.resolve("stories260K");
        try (Checkpoint ck = Checkpoint.open(dir)) {
            ShallowException e = assertThrows(ShallowException.class, () -> ck.tensor("lm_head.weight"));
            assertOneLineNaming(e, dir, "tensor 'lm_head.weight' required by config.json is missing from the checkpoint");
        }
    }
}
