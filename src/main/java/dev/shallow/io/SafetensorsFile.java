package dev.shallow.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shallow.ShallowException;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped safetensors file: 8-byte little-endian header length N, N bytes of JSON header,
 * then the data section. Tensors are views of the mapping, never copied onto the heap.
 * <p>
 * Opening validates the header as the reference Rust crate does ({@code safetensors::SafeTensors::read_metadata}):
 * N at most 100,000,000, UTF-8 JSON object, each tensor's byte count = elements x dtype size, and the
 * byte ranges sorted by offset tile the data section exactly (no gap, no overlap, nothing left over).
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The Rust crate's MAX_HEADER_SIZE. */
    static final long MAX_HEADER_BYTES = 100_000_000;
    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment data, Map<String, TensorInfo> tensors,
                            Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) {
        InputFiles.requireRegular(path);
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw ShallowException.at(path, "file is " + size + " bytes, shorter than the 8-byte header length");
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long n = all.get(U64_LE, 0);
            if (n <= 0 || n > MAX_HEADER_BYTES) {
                throw ShallowException.at(path, "header length " + Long.toUnsignedString(n) + " is not in 1.." + MAX_HEADER_BYTES
                        + " (not a safetensors file?)");
            }
            if (n > size - 8) {
                throw ShallowException.at(path, "header length " + n + " is past the end of the file (" + size + " bytes; truncated?)");
            }
            JsonNode header = StrictJson.parseObject(path, "header", all.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE));
            MemorySegment data = all.asSlice(8 + n);
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            header.properties().forEach(e -> {
                if (e.getKey().equals("__metadata__")) metadata.putAll(metadata(path, e.getValue()));
                else tensors.put(e.getKey(), tensorInfo(path, e.getKey(), e.getValue(), data.byteSize()));
            });
            checkTiling(path, tensors.values(), data.byteSize());
            return new SafetensorsFile(path, arena, data, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
        } catch (NoSuchFileException e) {
            arena.close();
            throw ShallowException.at(path, "file not found");
        } catch (IOException e) {
            arena.close();
            throw ShallowException.at(path, "cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** {@code __metadata__}: a map of strings to strings. */
    private static Map<String, String> metadata(Path path, JsonNode node) {
        if (!node.isObject()) throw ShallowException.at(path, "__metadata__ is not a JSON object");
        Map<String, String> out = new LinkedHashMap<>();
        node.properties().forEach(m -> {
            if (!m.getValue().isTextual()) throw ShallowException.at(path, "__metadata__ value '" + m.getKey() + "' is not a string");
            out.put(m.getKey(), m.getValue().textValue());
        });
        return out;
    }

    /** One tensor entry: {"dtype": "F32", "shape": [d0, ...], "data_offsets": [begin, end]}, inside the data section, byte count = elements x dtype size. */
    private static TensorInfo tensorInfo(Path path, String name, JsonNode v, long dataSize) {
        String where = "tensor '" + name + "' ";
        if (!v.isObject()) throw ShallowException.at(path, where + "is not a JSON object");
        JsonNode dt = v.path("dtype");
        if (!dt.isTextual()) throw ShallowException.at(path, where + "has no dtype string");
        DType dtype = DType.parse(dt.textValue()).orElseThrow(() ->
                ShallowException.at(path, where + "has unknown dtype '" + dt.textValue() + "'"));
        long[] shape = naturals(path, where + "shape", v.path("shape"), -1);
        long[] offsets = naturals(path, where + "data_offsets", v.path("data_offsets"), 2);
        long begin = offsets[0], end = offsets[1];
        if (end < begin) throw ShallowException.at(path, where + "has data_offsets [" + begin + ", " + end + "] with end before begin");
        if (end > dataSize) {
            throw ShallowException.at(path, where + "byte range [" + begin + ", " + end + ") is outside the data section ("
                    + dataSize + " bytes; truncated?)");
        }
        long bytes = dtype.bytes;
        try {
            for (long d : shape) bytes = Math.multiplyExact(bytes, d);
        } catch (ArithmeticException e) {
            throw ShallowException.at(path, where + "shape " + Arrays.toString(shape) + " overflows a 64-bit byte count");
        }
        if (bytes != end - begin) {
            throw ShallowException.at(path, where + "has " + (end - begin) + " bytes in data_offsets but shape "
                    + Arrays.toString(shape) + " x " + dtype + " needs " + bytes);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    /** A JSON array of non-negative integers ({@code length} of them, or any number if negative). */
    private static long[] naturals(Path path, String what, JsonNode node, int length) {
        if (!node.isArray() || (length >= 0 && node.size() != length)) {
            throw ShallowException.at(path, what + " is not an array of " + (length >= 0 ? length + " " : "") + "integers");
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = node.get(i);
            if (!x.isIntegralNumber() || !x.canConvertToLong() || x.longValue() < 0) {
                throw ShallowException.at(path, what + " has " + x + " where a non-negative integer belongs");
            }
            out[i] = x.longValue();
        }
        return out;
    }

    /** Sorted by offset, the ranges must follow each other from 0 to the end of the data section. */
    private static void checkTiling(Path path, Collection<TensorInfo> infos, long dataSize) {
        List<TensorInfo> sorted = infos.stream()
                .sorted(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end)).toList();
        long expected = 0;
        String previous = null;
        for (TensorInfo t : sorted) {
            if (t.begin() < expected) {
                throw ShallowException.at(path, "tensors '" + previous + "' and '" + t.name() + "' overlap (byte " + t.begin()
                        + " belongs to both)");
            }
            if (t.begin() > expected) {
                throw ShallowException.at(path, "bytes [" + expected + ", " + t.begin() + ") of the data section belong to no tensor"
                        + " (gap before '" + t.name() + "')");
            }
            expected = t.end();
            previous = t.name();
        }
        if (expected != dataSize) {
            throw ShallowException.at(path, "data section has " + dataSize + " bytes but the tensors cover only " + expected
                    + " (trailing bytes)");
        }
    }

    public Path path() {
        return path;
    }

    /** Tensor entries in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /** A view of tensor {@code name}; throws if absent or not a float weight dtype. */
    public Tensor tensor(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) throw ShallowException.at(path, "tensor '" + name + "' not found");
        if (!info.dtype().isFloatWeight()) {
            throw ShallowException.at(path, "tensor '" + name + "' has dtype " + info.dtype() + "; weights must be F32, F16 or BF16");
        }
        return Tensor.of(info.dtype(), data.asSlice(info.begin(), info.end() - info.begin()), info.shape());
    }

    /** The raw little-endian bytes of tensor {@code name}, any dtype (a view of the mapping, for byte-exact copies). */
    public MemorySegment bytes(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) throw ShallowException.at(path, "tensor '" + name + "' not found");
        return data.asSlice(info.begin(), info.end() - info.begin());
    }

    public long fileSize() {
        try {
            return Files.size(path);
        } catch (IOException e) {
            throw ShallowException.at(path, "cannot stat: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
