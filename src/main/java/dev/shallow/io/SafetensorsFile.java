package dev.shallow.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.ShallowException;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A memory-mapped safetensors file: 8-byte little-endian header length N, N bytes of JSON header,
 * then the data section. Tensors are views of the mapping, never copied onto the heap.
 */
public final class SafetensorsFile implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

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
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw ShallowException.at(path, "file is " + size + " bytes, shorter than the 8-byte header length");
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long n = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (n <= 0 || n > size - 8) {
                throw ShallowException.at(path, "header length " + n + " is past the end of the file (" + size + " bytes)");
            }
            byte[] header = all.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment data = all.asSlice(8 + n);
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = parseHeader(path, new String(header, StandardCharsets.UTF_8), data.byteSize(), metadata);
            return new SafetensorsFile(path, arena, data, tensors, metadata);
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

    private static Map<String, TensorInfo> parseHeader(Path path, String text, long dataSize, Map<String, String> metadata) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw ShallowException.at(path, "header is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) throw ShallowException.at(path, "header is not a JSON object");
        Map<String, TensorInfo> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            String dt = v.path("dtype").asText();
            DType dtype = DType.parse(dt).orElseThrow(() ->
                    ShallowException.at(path, "tensor '" + name + "' has unknown dtype '" + dt + "'"));
            JsonNode shapeNode = v.path("shape"), offs = v.path("data_offsets");
            if (!shapeNode.isArray() || !offs.isArray() || offs.size() != 2) {
                throw ShallowException.at(path, "tensor '" + name + "' needs a shape array and two data_offsets");
            }
            long[] shape = new long[shapeNode.size()];
            long elements = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asLong(-1);
                if (shape[i] < 0) throw ShallowException.at(path, "tensor '" + name + "' has a negative dimension");
                elements = Math.multiplyExact(elements, shape[i]);
            }
            long begin = offs.get(0).asLong(-1), end = offs.get(1).asLong(-1);
            if (begin < 0 || end < begin || end > dataSize) {
                throw ShallowException.at(path, "tensor '" + name + "' byte range [" + begin + ", " + end
                        + ") is outside the data section (" + dataSize + " bytes)");
            }
            if (elements * dtype.bytes != end - begin) {
                throw ShallowException.at(path, "tensor '" + name + "' has " + (end - begin) + " bytes but shape x "
                        + dtype + " needs " + elements * dtype.bytes);
            }
            out.put(name, new TensorInfo(name, dtype, shape, begin, end));
        }
        TensorInfo[] sorted = out.values().stream().sorted((a, b) -> Long.compare(a.begin(), b.begin())).toArray(TensorInfo[]::new);
        for (int i = 1; i < sorted.length; i++) {
            if (sorted[i].begin() < sorted[i - 1].end()) {
                throw ShallowException.at(path, "tensors '" + sorted[i - 1].name() + "' and '" + sorted[i].name() + "' overlap");
            }
        }
        return Collections.unmodifiableMap(out);
    }

    public Path path() {
        return path;
    }

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
