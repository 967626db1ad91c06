package dev.shallow.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufWriterTest {
    @TempDir
    Path dir;

    private static GgufWriter.Metadata everyType() {
        return new GgufWriter.Metadata()
                .u8("a.u8", 200).i8("a.i8", -5).u16("a.u16", 60000).i16("a.i16", -30000)
                .u32("a.u32", 4_000_000_000L).i32("a.i32", -7).u64("a.u64", 1L << 40).i64("a.i64", -(1L << 40))
                .f32("a.f32", 1e-6f).f64("a.f64", Math.PI).bool("a.bool", true).string("a.string", "héllo ▁ 🙂")
                .intArray("a.u8s", GgufValueType.UINT8, 1, 255).intArray("a.i16s", GgufValueType.INT16, -1, 2, 3)
                .intArray("a.u64s", GgufValueType.UINT64, 5, 6).i32Array("a.i32s", -1, 0, Integer.MAX_VALUE)
                .f32Array("a.f32s", 0.5f, -2f).f64Array("a.f64s", 1e300).boolArray("a.bools", true, false, true)
                .stringArray("a.strings", "x", "", "▁y").stringArray("a.empty");
    }

    @Test
    void metadataAndTensorsReadBackAsWritten() throws Exception {
        Random r = new Random(3);
        byte[] f32 = new byte[4 * 3 * 5], q8 = new byte[34 * 2 * 2];
        r.nextBytes(f32);
        r.nextBytes(q8);
        GgufWriter.Metadata m = everyType().u32("general.alignment", 64);
        Path file = dir.resolve("m.gguf");
        GgufWriter.write(file, m, List.of(
                new GgufWriter.Tensor("w", new long[] {3, 5}, GgmlType.F32, dst -> MemorySegment.copy(MemorySegment.ofArray(f32), 0, dst, 0, f32.length)),
                new GgufWriter.Tensor("q", new long[] {2, 64}, GgmlType.Q8_0, dst -> MemorySegment.copy(MemorySegment.ofArray(q8), 0, dst, 0, q8.length))));
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(3, g.version());
            assertEquals(64, g.alignment());
            assertEquals(List.copyOf(m.keys()), List.copyOf(g.metadata().keys()));
            GgufMetadata read = g.metadata();
            // every value's bytes as the reader holds them equal the bytes written
            GgufWriter.Metadata again = new GgufWriter.Metadata();
            for (String k : read.keys()) again.encoded(k, read.encoded(k));
            assertEquals(4_000_000_000L, read.longValue("a.u32"));
            assertEquals(-(1L << 40), read.longValue("a.i64"));
            assertEquals(-5, read.longValue("a.i8"));
            assertEquals(60000, read.longValue("a.u16"));
            assertEquals(1e-6f, read.floatValue("a.f32"));
            assertEquals(Math.PI, read.doubleValue("a.f64"));
            assertTrue(read.bool("a.bool"));
            assertEquals("héllo ▁ 🙂", read.string("a.string"));
            assertArrayEquals(new int[] {1, 255}, read.intArray("a.u8s"));
            assertArrayEquals(new int[] {-1, 2, 3}, read.intArray("a.i16s"));
            assertArrayEquals(new int[] {-1, 0, Integer.MAX_VALUE}, read.intArray("a.i32s"));
            assertArrayEquals(new float[] {0.5f, -2f}, read.floatArray("a.f32s"));
            assertEquals("array[f64]", read.typeName("a.f64s"));
            assertEquals("array[bool]", read.typeName("a.bools"));
            assertArrayEquals(new String[] {"x", "", "▁y"}, read.stringArray("a.strings"));
            assertEquals(0, read.stringArray("a.empty").length);
            assertArrayEquals(new long[] {5, 3}, g.tensors().get("w").ne());
            assertArrayEquals(new long[] {64, 2}, g.tensors().get("q").ne());
            assertEquals(GgmlType.Q8_0, g.tensors().get("q").type());
            assertEquals(0, g.dataOffset() % 64);
            assertEquals(0, g.tensors().get("q").offset() % 64);
            assertArrayEquals(f32, g.tensorData("w").toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(q8, g.tensorData("q").toArray(ValueLayout.JAVA_BYTE));
            // re-encoding what was read writes the same file
            Path copy = dir.resolve("copy.gguf");
            GgufWriter.write(copy, again, List.of(
                    new GgufWriter.Tensor("w", new long[] {3, 5}, GgmlType.F32, dst -> MemorySegment.copy(g.tensorData("w"), 0, dst, 0, dst.byteSize())),
                    new GgufWriter.Tensor("q", new long[] {2, 64}, GgmlType.Q8_0, dst -> MemorySegment.copy(g.tensorData("q"), 0, dst, 0, dst.byteSize()))));
            assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(copy));
        }
    }

    @Test
    void cutArraysKeepTheChosenElements() {
        Path file = dir.resolve("a.gguf");
        GgufWriter.write(file, new GgufWriter.Metadata().i32Array("n", 10, 11, 12, 13).stringArray("s", "a", "bb", "", "dddd"), List.of());
        try (GgufFile g = GgufFile.open(file)) {
            Path cut = dir.resolve("cut.gguf");
            GgufWriter.write(cut, new GgufWriter.Metadata().encoded("n", g.metadata().encodedElements("n", new int[] {0, 2, 3}))
                    .encoded("s", g.metadata().encodedElements("s", new int[] {1, 2})), List.of());
            try (GgufFile c = GgufFile.open(cut)) {
                assertArrayEquals(new int[] {10, 12, 13}, c.metadata().intArray("n"));
                assertArrayEquals(new String[] {"bb", ""}, c.metadata().stringArray("s"));
                assertEquals(4, g.metadata().arrayLength("n"));
            }
        }
    }

    @Test
    void aFailingSourceLeavesNothing() throws Exception {
        Path file = dir.resolve("x.gguf");
        assertThrows(RuntimeException.class, () -> GgufWriter.write(file, new GgufWriter.Metadata(), List.of(
                new GgufWriter.Tensor("w", new long[] {4}, GgmlType.F32, dst -> {
                    throw new IllegalStateException("boom");
                }))));
        assertFalse(Files.exists(file));
        try (var s = Files.list(dir)) {
            assertEquals(0, s.count());
        }
        assertThrows(IllegalArgumentException.class, () -> GgufWriter.write(file, new GgufWriter.Metadata(), List.of(
                new GgufWriter.Tensor("q", new long[] {1, 33}, GgmlType.Q8_0, dst -> { }))));
    }
}
