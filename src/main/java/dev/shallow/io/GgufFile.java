package dev.shallow.io;

import dev.shallow.ShallowException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped GGUF file, version 2 or 3 (ggml/docs/gguf.md): magic "GGUF", u32 version, u64 tensor count,
 * u64 key-value count, the key-value pairs, the tensor infos, padding to {@code general.alignment}, then the
 * tensor data. Tensors are views of the mapping, never copied; dequantizing is left to the caller.
 * <p>
 * Opening validates everything a reader relies on, each failure one line naming the file: the magic and version,
 * counts and lengths against the bytes left, value types, unique keys and tensor names, the alignment (a power
 * of two), and per tensor its type, that ne[0] is a whole number of blocks, that its byte count does not overflow,
 * that its offset is aligned and its bytes lie inside the file, and that no two tensors overlap.
 */
public final class GgufFile implements AutoCloseable {
    /** gguf.h GGUF_DEFAULT_ALIGNMENT: used when general.alignment is absent. */
    public static final int DEFAULT_ALIGNMENT = 32;
    static final String ALIGNMENT_KEY = "general.alignment";
    private static final byte[] MAGIC = "GGUF".getBytes(StandardCharsets.US_ASCII);
    /** ggml.h GGML_MAX_DIMS. */
    private static final int MAX_DIMS = 4;
    /** ggml.h GGML_MAX_NAME: gguf.cpp refuses names of this many bytes or more. */
    private static final int MAX_NAME_BYTES = 64;
    /** The smallest tensor info: u64 name length, u32 n_dims, u32 type, u64 offset. */
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;

    private final Path path;
    private final Arena arena;
    private final int version;
    private final int alignment;
    private final GgufMetadata metadata;
    private final Map<String, GgufTensorInfo> tensors;
    private final long dataOffset;
    private final MemorySegment header;
    private final MemorySegment data;

    private GgufFile(Path path, Arena arena, int version, int alignment, GgufMetadata metadata,
                     Map<String, GgufTensorInfo> tensors, long dataOffset, MemorySegment header, MemorySegment data) {
        this.path = path;
        this.arena = arena;
        this.version = version;
        this.alignment = alignment;
        this.metadata = metadata;
        this.tensors = tensors;
        this.dataOffset = dataOffset;
        this.header = header;
        this.data = data;
    }

    public static GgufFile open(Path path) {
        return MappedFile.read(path, (arena, all) -> read(path, arena, all));
    }

    private static GgufFile read(Path path, Arena arena, MemorySegment all) {
        GgufCursor c = new GgufCursor(path, all, 0);
        byte[] magic = c.slice(MAGIC.length, "magic").toArray(ValueLayout.JAVA_BYTE);
        if (!Arrays.equals(magic, MAGIC)) throw c.fail("bad magic " + hex(magic) + ", expected \"GGUF\" (not a GGUF file)");
        int version = c.u32("version");
        if (version != 2 && version != 3) {
            throw c.fail("unsupported GGUF version " + Integer.toUnsignedString(version) + " (versions 2 and 3 are read"
                    + (Integer.reverseBytes(version) == 3 ? "; this looks like a big-endian file)" : ")"));
        }
        long tensorCount = c.u64("tensor count");
        long kvCount = c.u64("key-value count");
        GgufMetadata metadata = GgufMetadata.read(c, kvCount);
        int alignment = alignment(c, metadata);
        c.needItems(tensorCount, MIN_TENSOR_INFO_BYTES, "tensor info");
        Map<String, GgufTensorInfo> tensors = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            GgufTensorInfo t = tensorInfo(c, i);
            if (tensors.putIfAbsent(t.name(), t) != null) throw c.fail("duplicate tensor name '" + t.name() + "'");
        }
        // the data section starts at the next multiple of the alignment; a file without tensors may end before it
        long dataStart = (c.position() + alignment - 1) / alignment * alignment;
        MemorySegment data = all.asSlice(Math.min(dataStart, all.byteSize()));
        checkPlacement(c, tensors.values(), alignment, dataStart, data.byteSize());
        return new GgufFile(path, arena, version, alignment, metadata, Collections.unmodifiableMap(tensors), dataStart,
                all.asSlice(0, all.byteSize() - data.byteSize()), data);
    }

    /** general.alignment: a u32, a non-zero power of two (gguf.cpp); 32 when absent. */
    private static int alignment(GgufCursor c, GgufMetadata metadata) {
        if (!metadata.has(ALIGNMENT_KEY)) return DEFAULT_ALIGNMENT;
        if (!metadata.typeName(ALIGNMENT_KEY).equals(GgufValueType.UINT32.label)) {
            throw c.fail(ALIGNMENT_KEY + " is " + metadata.typeName(ALIGNMENT_KEY) + ", not u32");
        }
        long a = metadata.longValue(ALIGNMENT_KEY);
        if (Long.bitCount(a) != 1 || a > Integer.MAX_VALUE) throw c.fail(ALIGNMENT_KEY + " " + a + " is not a power of two");
        return (int) a;
    }

    /** string name, u32 n_dims (at most 4), u64 ne[n_dims], u32 ggml type, u64 offset. */
    private static GgufTensorInfo tensorInfo(GgufCursor c, long index) {
        String name = c.string("name of tensor " + index);
        String where = "tensor '" + name + "' ";
        if (name.getBytes(StandardCharsets.UTF_8).length >= MAX_NAME_BYTES) {
            throw c.fail(where + "has a name of " + MAX_NAME_BYTES + " bytes or more (ggml's limit)");
        }
        int dims = c.u32(where + "n_dims");
        if (Integer.compareUnsigned(dims, MAX_DIMS) > 0) throw c.fail(where + "has " + Integer.toUnsignedString(dims) + " dimensions, more than " + MAX_DIMS);
        long[] ne = new long[dims];
        for (int d = 0; d < dims; d++) {
            ne[d] = c.u64(where + "ne[" + d + "]");
            if (ne[d] < 0) throw c.fail(where + "ne[" + d + "] = " + Long.toUnsignedString(ne[d]) + " is not representable");
        }
        int typeId = c.u32(where + "type");
        GgmlType type = GgmlType.of(Integer.toUnsignedLong(typeId)).orElseThrow(() ->
                c.fail(where + "has unknown ggml type " + Integer.toUnsignedString(typeId)));
        long offset = c.u64(where + "offset");
        return new GgufTensorInfo(name, ne, type, offset, byteCount(c, where, ne, type));
    }

    /** Elements / block size x bytes per block; ne[0] must be a whole number of blocks (gguf.cpp). */
    private static long byteCount(GgufCursor c, String where, long[] ne, GgmlType type) {
        if (ne.length > 0 && ne[0] % type.blockSize != 0) {
            throw c.fail(where + "ne[0] = " + ne[0] + " is not a multiple of the " + type + " block size " + type.blockSize);
        }
        try {
            long elements = 1;
            for (long d : ne) elements = Math.multiplyExact(elements, d);
            return Math.multiplyExact(elements / type.blockSize, type.bytesPerBlock);
        } catch (ArithmeticException e) {
            throw c.fail(where + "shape " + Arrays.toString(ne) + " x " + type + " overflows a 64-bit byte count");
        }
    }

    /** Each tensor's offset is a multiple of the alignment and its bytes lie in the file; sorted by offset, none overlaps the next. */
    private static void checkPlacement(GgufCursor c, Iterable<GgufTensorInfo> tensors, int alignment, long dataStart, long dataSize) {
        for (GgufTensorInfo t : tensors) {
            String where = "tensor '" + t.name() + "' ";
            if (t.offset() < 0 || t.offset() % alignment != 0) {
                throw c.fail(where + "offset " + Long.toUnsignedString(t.offset()) + " is not a multiple of the alignment " + alignment);
            }
            if (t.offset() > dataSize || t.bytes() > dataSize - t.offset()) {
                throw c.fail(where + "bytes [" + t.offset() + ", " + Long.toUnsignedString(t.offset() + t.bytes())
                        + ") of the data section at byte " + dataStart + " run past the end of the file (" + dataSize
                        + " data bytes; truncated?)");
            }
        }
        List<GgufTensorInfo> sorted = new ArrayList<>();
        tensors.forEach(sorted::add);
        sorted.sort(Comparator.comparingLong(GgufTensorInfo::offset).thenComparingLong(GgufTensorInfo::end));
        for (int i = 1; i < sorted.size(); i++) {
            GgufTensorInfo a = sorted.get(i - 1), b = sorted.get(i);
            if (b.offset() < a.end()) {
                throw c.fail("tensors '" + a.name() + "' and '" + b.name() + "' overlap (data byte " + b.offset() + " belongs to both)");
            }
        }
    }

    private static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder("0x");
        for (byte b : bytes) s.append(String.format("%02X", b));
        return s.toString();
    }

    public Path path() {
        return path;
    }

    /** 2 or 3. */
    public int version() {
        return version;
    }

    /** general.alignment, or 32. */
    public int alignment() {
        return alignment;
    }

    /** The key-value pairs; array values are read from the mapping, so read them before {@link #close()}. */
    public GgufMetadata metadata() {
        return metadata;
    }

    /** The tensor infos in file order. */
    public Map<String, GgufTensorInfo> tensors() {
        return tensors;
    }

    /** Where the data section starts in the file: after the tensor infos, at the next multiple of the alignment. */
    public long dataOffset() {
        return dataOffset;
    }

    /** The bytes before the tensor data: magic, counts, metadata, tensor infos and padding (a view of the mapping). */
    public MemorySegment header() {
        return header;
    }

    /** The raw bytes of tensor {@code name} in its ggml type (a view of the mapping, valid until close). */
    public MemorySegment tensorData(String name) {
        GgufTensorInfo t = tensors.get(name);
        if (t == null) throw ShallowException.at(path, "tensor '" + name + "' not found");
        return data.asSlice(t.offset(), t.bytes());
    }

    @Override
    public void close() {
        arena.close();
    }
}
