package dev.shallow.io;

import dev.shallow.ShallowException;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GgufFile on files written here under target/gguf-malformed: every value type read back, and broken files
 * (truncations of the real stories260K.gguf, patched headers, bad tensor infos) each refused with one line
 * naming the file, never an out-of-memory or a hang.
 */
class GgufMalformedTest {
    private static final Path DIR = Path.of("target", "gguf-malformed");

    @Test
    void everyValueTypeReadsBackInVersion2() {
        GgufBuilder b = new GgufBuilder().version(2)
                .raw("u8", GgufValueType.UINT8.id, new byte[] {(byte) 200})
                .raw("i8", GgufValueType.INT8.id, new byte[] {(byte) -5})
                .raw("u16", GgufValueType.UINT16.id, GgufBuilder.le(2).putShort((short) 60_000).array())
                .raw("i16", GgufValueType.INT16.id, GgufBuilder.le(2).putShort((short) -300).array())
                .u32("u32", 4_000_000_000L)
                .raw("i32", GgufValueType.INT32.id, GgufBuilder.le(4).putInt(-70_000).array())
                .f32("f32", 0.25f)
                .bool("bool", true)
                .string("string", "héllo ▁")
                .raw("u64", GgufValueType.UINT64.id, GgufBuilder.le(8).putLong(-1).array())
                .raw("i64", GgufValueType.INT64.id, GgufBuilder.le(8).putLong(-9_000_000_000L).array())
                .raw("f64", GgufValueType.FLOAT64.id, GgufBuilder.le(8).putDouble(1e-300).array())
                .stringArray("strings", "a", "", "日本")
                .floatArray("floats", 1.5f, -2f)
                .intArray("ints", 7, -8)
                .u32("general.alignment", 64).padTo(64)
                .tensor("q", GgmlType.Q4_K, 0, 512, 3)
                .tensor("f", GgmlType.F16, 1728, 5)
                .data(new byte[1728 + 10]);
        try (GgufFile g = GgufFile.open(b.write(DIR.resolve("all-types.gguf")))) {
            GgufMetadata m = g.metadata();
            assertEquals(2, g.version());
            assertEquals(64, g.alignment());
            assertEquals(0, g.dataOffset() % 64);
            assertEquals(200, m.intValue("u8"));
            assertEquals(-5, m.intValue("i8"));
            assertEquals(60_000, m.intValue("u16"));
            assertEquals(-300, m.intValue("i16"));
            assertEquals(4_000_000_000L, m.longValue("u32"));
            assertEquals(-70_000, m.intValue("i32"));
            assertEquals(0.25f, m.floatValue("f32"));
            assertEquals(0.25, m.doubleValue("f32"));
            assertTrue(m.bool("bool"));
            assertEquals("héllo ▁", m.string("string"));
            assertEquals(-9_000_000_000L, m.longValue("i64"));
            assertEquals(1e-300, m.doubleValue("f64"));
            assertArrayEquals(new String[] {"a", "", "日本"}, m.stringArray("strings"));
            assertArrayEquals(new float[] {1.5f, -2f}, m.floatArray("floats"));
            assertArrayEquals(new int[] {7, -8}, m.intArray("ints"));
            assertEquals(List.of("u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "u64", "i64", "f64", "strings", "floats", "ints",
                    "general.alignment"), List.copyOf(m.keys()));
            assertFails(() -> m.longValue("u64"), "'u64' = 18446744073709551615 does not fit");
            assertFails(() -> m.intValue("u32"), "'u32' = 4000000000 does not fit in an int");
            assertFails(() -> m.string("u32"), "'u32' is u32, not string");
            assertFails(() -> m.floatArray("ints"), "'ints' is array[i32], not array[f32]");
            assertFails(() -> m.intValue("absent"), "metadata key 'absent' is missing");
            // Q4_K: 512 x 3 elements in blocks of 256 of 144 bytes; F16: 5 x 2 bytes
            assertEquals(6 * 144, g.tensors().get("q").bytes());
            assertEquals(1728, g.tensors().get("f").offset());
            assertEquals(10, g.tensorData("f").byteSize());
            assertFails(() -> g.tensorData("nope"), "tensor 'nope' not found");
        }
    }

    /** Byte size = elements / block size x bytes per block, for every ggml type (a 2 x 256 tensor). */
    @Test
    void everyGgmlTypeSizesItsBlocks() {
        for (GgmlType t : GgmlType.values()) {
            long bytes = 512L / t.blockSize * t.bytesPerBlock;
            GgufBuilder b = new GgufBuilder().tensor("t", t, 0, 256, 2).data(new byte[(int) bytes]);
            try (GgufFile g = GgufFile.open(b.write(DIR.resolve("type-" + t + ".gguf")))) {
                assertEquals(bytes, g.tensors().get("t").bytes(), t.name());
                assertEquals(t, g.tensors().get("t").type());
            }
        }
    }

    /** Array elements are decoded when asked for, so a bad one is an error of the getter, naming key and element. */
    @Test
    void badArrayElementFailsItsGetter() {
        java.io.ByteArrayOutputStream value = GgufBuilder.arrayHeader(GgufValueType.STRING, 2);
        value.writeBytes(GgufBuilder.string("ok"));
        value.writeBytes(GgufBuilder.le(9).putLong(1).put((byte) 0xFF).array());
        Path file = new GgufBuilder().raw("names", GgufValueType.ARRAY.id, value.toByteArray()).u32("after", 7).write(DIR.resolve("bad-element.gguf"));
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(7, g.metadata().intValue("after"));
            // 24 header + 13 key + 4 type + 4 element type + 8 count + 10 for "ok" + 8 length = byte 71
            assertFails(() -> g.metadata().stringArray("names"), "array 'names' element 1 at byte 71 is not valid UTF-8");
        }
    }

    /** A file with no tensors ends after its key-values; no padding is needed (PROVENANCE.md of llama.cpp-vocab). */
    @Test
    void noTensorsNoPadding() throws IOException {
        byte[] bytes = new GgufBuilder().string("k", "v").bytes();
        assertFalse(bytes.length % 32 == 0);
        try (GgufFile g = GgufFile.open(write("no-tensors.gguf", bytes))) {
            assertTrue(g.tensors().isEmpty());
            assertEquals("v", g.metadata().string("k"));
        }
    }

    @TestFactory
    List<DynamicTest> truncationsOfTheRealFile() throws IOException {
        byte[] real = Files.readAllBytes(GgufFileTest.STORIES);
        List<DynamicTest> tests = new ArrayList<>();
        // empty, inside the magic, the counts, the first key, the token array, the tensor infos, the padding, the data
        for (int length : new int[] {0, 3, 20, 30, 5_000, 14_000, 14_160, 14_176 + 100, real.length - 1}) {
            tests.add(DynamicTest.dynamicTest("first " + length + " bytes", () ->
                    assertRefused(write("truncated-" + length + ".gguf", Arrays.copyOf(real, length)),
                            length >= 14_176 ? "run past the end of the file" : "truncated")));
        }
        return tests;
    }

    @TestFactory
    List<DynamicTest> patchedHeaders() throws IOException {
        byte[] real = Files.readAllBytes(GgufFileTest.STORIES);
        record Patch(String name, int at, byte[] bytes, String problem) {
        }
        List<Patch> patches = List.of(
                new Patch("bad-magic", 0, "GGML".getBytes(), "bad magic 0x47474D4C, expected \"GGUF\""),
                new Patch("version-1", 4, le(4).putInt(1).array(), "unsupported GGUF version 1"),
                new Patch("version-4", 4, le(4).putInt(4).array(), "unsupported GGUF version 4"),
                new Patch("big-endian", 4, ByteBuffer.allocate(4).putInt(3).array(), "looks like a big-endian file"),
                new Patch("huge-tensor-count", 8, le(8).putLong(Long.MAX_VALUE).array(), "tensor info count 9223372036854775807"),
                new Patch("huge-kv-count", 16, le(8).putLong(-1).array(), "key-value count 18446744073709551615 at byte 24 cannot fit"),
                new Patch("huge-key-length", 24, le(8).putLong(1L << 40).array(), "key 0 needs 1099511627776 bytes"),
                // the first key, "tokenizer.ggml.tokens" (21 bytes), is at 32; its value type at 53, then the element type and count
                new Patch("unknown-value-type", 53, le(4).putInt(13).array(), "type of 'tokenizer.ggml.tokens' at byte 53 is 13, not a GGUF value type"),
                new Patch("array-of-arrays", 57, le(4).putInt(GgufValueType.ARRAY.id).array(), "is an array of arrays"),
                new Patch("huge-array", 61, le(8).putLong(1L << 62).array(), "array 'tokenizer.ggml.tokens' count 4611686018427387904"));
        List<DynamicTest> tests = new ArrayList<>();
        for (Patch p : patches) {
            tests.add(DynamicTest.dynamicTest(p.name(), () -> {
                byte[] bytes = real.clone();
                System.arraycopy(p.bytes(), 0, bytes, p.at(), p.bytes().length);
                assertRefused(write(p.name() + ".gguf", bytes), p.problem());
            }));
        }
        return tests;
    }

    @TestFactory
    List<DynamicTest> badMetadataAndTensors() {
        record Case(String name, GgufBuilder file, String problem) {
        }
        Function<Integer, byte[]> zeros = byte[]::new;
        List<Case> cases = List.of(
                new Case("duplicate-key", new GgufBuilder().u32("a", 1).u32("a", 2), "duplicate metadata key 'a'"),
                new Case("bool-2", new GgufBuilder().raw("b", GgufValueType.BOOL.id, new byte[] {2}), "value of 'b' at byte 37 is 2, not a bool"),
                new Case("invalid-utf8", new GgufBuilder().raw("s", GgufValueType.STRING.id, GgufBuilder.le(10).putLong(2).put((byte) 0xC3).put((byte) 0x28).array()),
                        "value of 's' at byte 45 is not valid UTF-8"),
                new Case("alignment-not-u32", new GgufBuilder().f32("general.alignment", 32), "general.alignment is f32, not u32"),
                new Case("alignment-48", new GgufBuilder().u32("general.alignment", 48), "general.alignment 48 is not a power of two"),
                new Case("alignment-0", new GgufBuilder().u32("general.alignment", 0), "general.alignment 0 is not a power of two"),
                new Case("duplicate-tensor", new GgufBuilder().tensor("t", GgmlType.F32, 0, 8).tensor("t", GgmlType.F32, 32, 8).data(zeros.apply(64)),
                        "duplicate tensor name 't'"),
                new Case("five-dims", new GgufBuilder().tensor("t", GgmlType.F32, 0, 1, 1, 1, 1, 1).data(zeros.apply(4)), "tensor 't' has 5 dimensions, more than 4"),
                new Case("unknown-type", new GgufBuilder().tensor("t", 4, 0, 32).data(zeros.apply(64)), "tensor 't' has unknown ggml type 4"),
                new Case("partial-block", new GgufBuilder().tensor("t", GgmlType.Q8_0, 0, 40).data(zeros.apply(68)),
                        "tensor 't' ne[0] = 40 is not a multiple of the Q8_0 block size 32"),
                new Case("overflowing-shape", new GgufBuilder().tensor("t", GgmlType.F32, 0, 1L << 40, 1L << 30).data(zeros.apply(4)),
                        "tensor 't' shape [1099511627776, 1073741824] x F32 overflows a 64-bit byte count"),
                new Case("negative-dim", new GgufBuilder().tensor("t", GgmlType.F32, 0, -1).data(zeros.apply(4)), "tensor 't' ne[0] = 18446744073709551615 is not representable"),
                new Case("misaligned", new GgufBuilder().tensor("t", GgmlType.F32, 4, 8).data(zeros.apply(64)), "tensor 't' offset 4 is not a multiple of the alignment 32"),
                new Case("out-of-bounds", new GgufBuilder().tensor("t", GgmlType.F32, 1L << 40, 8).data(zeros.apply(64)), "tensor 't' bytes [1099511627776, 1099511627808)"),
                new Case("past-the-end", new GgufBuilder().tensor("t", GgmlType.F32, 0, 17).data(zeros.apply(64)), "tensor 't' bytes [0, 68) of the data section"),
                new Case("overlap", new GgufBuilder().tensor("a", GgmlType.F32, 0, 16).tensor("b", GgmlType.F32, 32, 16).data(zeros.apply(96)),
                        "tensors 'a' and 'b' overlap (data byte 32 belongs to both)"),
                new Case("long-name", new GgufBuilder().tensor("x".repeat(64), GgmlType.F32, 0, 1).data(zeros.apply(4)), "has a name of 64 bytes or more"));
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases) tests.add(DynamicTest.dynamicTest(c.name(), () -> assertRefused(c.file().write(DIR.resolve(c.name() + ".gguf")), c.problem())));
        return tests;
    }

    @Test
    void missingFile() {
        assertRefused(DIR.resolve("absent.gguf"), "file not found");
    }

    private static Path write(String name, byte[] bytes) throws IOException {
        Files.createDirectories(DIR);
        return Files.write(DIR.resolve(name), bytes);
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Opening {@code file} fails with one line "FILE: ...problem...". */
    private static void assertRefused(Path file, String problem) {
        assertFails(() -> GgufFile.open(file).close(), problem);
        ShallowException e = assertThrows(ShallowException.class, () -> GgufFile.open(file).close());
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
    }

    private static void assertFails(org.junit.jupiter.api.function.Executable call, String problem) {
        ShallowException e = assertThrows(ShallowException.class, call);
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
}
