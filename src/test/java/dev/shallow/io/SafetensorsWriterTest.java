package dev.shallow.io;

import dev.shallow.ShallowException;
import dev.shallow.tensor.BF16Tensor;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class SafetensorsWriterTest {
    static final Path SHARED = Path.of(System.getProperty("shallow.shared", "../shared"));

    @TempDir
    Path tmp;

    @Test
    void roundTripKeepsNamesShapesDtypesAndBits() {
        float[] a = {1.5f, -2f, Float.NaN, Float.MIN_VALUE, -0f, 3e38f};
        short[] b = {BF16Tensor.fromFloat(0.1f), BF16Tensor.fromFloat(-7f), 0x7F80, 1};
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("z.weight", Tensor.ofFloats(a, 2, 3));
        in.put("a.bias", Tensor.of(DType.BF16, MemorySegment.ofArray(b), new long[]{4}));
        in.put("empty", Tensor.ofFloats(new float[0], 0, 5));
        Path file = tmp.resolve("rt.safetensors");
        SafetensorsWriter.write(file, in, Map.of("format", "pt", "note", "x"));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(List.of("a.bias", "empty", "z.weight"), List.copyOf(f.tensors().keySet()));
            assertEquals(Map.of("format", "pt", "note", "x"), f.metadata());
            for (var e : in.entrySet()) {
                Tensor got = f.tensor(e.getKey());
                assertEquals(e.getValue().dtype(), got.dtype());
                assertArrayEquals(e.getValue().shape(), got.shape());
                assertArrayEquals(e.getValue().segment().toArray(ValueLayout.JAVA_BYTE), got.segment().toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }

    @Test
    void rewritingSharedFileReproducesItByteForByte() throws IOException {
        Path src = SHARED.resolve("models/stories260K/model.safetensors"), copy = tmp.resolve("copy.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            Map<String, Tensor> all = new LinkedHashMap<>();
            for (String name : f.tensors().keySet()) all.put(name, f.tensor(name));
            SafetensorsWriter.write(copy, all, null);
        }
        assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(copy));
    }

    @Test
    void headerIsPaddedWithSpacesToMultipleOf8() throws IOException {
        Path file = tmp.resolve("p.safetensors");
        SafetensorsWriter.write(file, Map.of("x", Tensor.ofFloats(new float[]{1f}, 1)), null);
        byte[] bytes = Files.readAllBytes(file);
        long n = MemorySegment.ofArray(bytes).get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        assertEquals(0, n % 8);
        String header = new String(bytes, 8, (int) n);
        assertEquals("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"__metadata__\":{\"format\":\"pt\"}}", header.strip());
        assertEquals(8 + n + 4, bytes.length);
    }

    @Test
    void streamingSourceFillsEachSliceInNameOrder() {
        Path file = tmp.resolve("s.safetensors");
        var entries = List.of(new SafetensorsWriter.Entry("b", DType.F32, new long[]{3}), new SafetensorsWriter.Entry("a", DType.F32, new long[]{2}));
        StringBuilder order = new StringBuilder();
        SafetensorsWriter.write(file, entries, null, (e, dst) -> {
            order.append(e.name());
            for (long i = 0; i < dst.byteSize() / 4; i++) dst.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, e.name().charAt(0) + i);
        });
        assertEquals("ab", order.toString());
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertArrayEquals(new float[]{'a', 'a' + 1}, f.tensor("a").toFloatArray());
            assertArrayEquals(new float[]{'b', 'b' + 1, 'b' + 2}, f.tensor("b").toFloatArray());
        }
    }

    @Test
    void failingSourceLeavesNoFileAndNoTempFile() throws IOException {
        Path file = tmp.resolve("fail.safetensors");
        var entries = List.of(new SafetensorsWriter.Entry("a", DType.F32, new long[]{1024}), new SafetensorsWriter.Entry("b", DType.F32, new long[]{1024}));
        RuntimeException e = assertThrows(IllegalStateException.class, () -> SafetensorsWriter.write(file, entries, null, (entry, dst) -> {
            if (entry.name().equals("b")) throw new IllegalStateException("boom");
            dst.fill((byte) 1);
        }));
        assertEquals("boom", e.getMessage());
        assertNoFiles();
    }

    @Test
    void failingSourceKeepsThePreviousFile() throws IOException {
        Path file = tmp.resolve("keep.safetensors");
        SafetensorsWriter.write(file, Map.of("x", Tensor.ofFloats(new float[]{1f}, 1)), null);
        byte[] before = Files.readAllBytes(file);
        var entries = List.of(new SafetensorsWriter.Entry("y", DType.F32, new long[]{1}));
        assertThrows(ShallowException.class, () -> SafetensorsWriter.write(file, entries, null, (entry, dst) -> {
            throw new IOException("disk on fire");
        }));
        assertArrayEquals(before, Files.readAllBytes(file));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(file), s.toList());
        }
    }

    @Test
    void duplicateNamesAreRefused() throws IOException {
        Path file = tmp.resolve("dup.safetensors");
        var entries = List.of(new SafetensorsWriter.Entry("a", DType.F32, new long[]{1}), new SafetensorsWriter.Entry("a", DType.F32, new long[]{1}));
        var e = assertThrows(ShallowException.class, () -> SafetensorsWriter.write(file, entries, null, (entry, dst) -> { }));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("'a'"), e.getMessage());
        assertNoFiles();
    }

    private void assertNoFiles() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(), s.toList());
        }
    }
}
