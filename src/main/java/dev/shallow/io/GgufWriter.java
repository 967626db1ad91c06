package dev.shallow.io;

import dev.shallow.ShallowException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes GGUF files, version 3, little-endian, laid out as ggml/docs/gguf.md and gguf-py's GGUFWriter lay them out: magic,
 * version, tensor count, key-value count, the key-value pairs in insertion order, the tensor infos (ne[0], the fastest-varying
 * dimension, first; offsets relative to the data section, each a multiple of {@code general.alignment}, 32 when absent), zero
 * padding to the alignment, then each tensor's bytes, padded to the alignment.
 * <p>
 * Streaming: the output file is memory-mapped and each tensor's {@link Source} fills its own slice, so a multi-GB model
 * never sits on the heap. Atomic: written to a temporary file beside the target and moved into place ({@link AtomicFiles}).
 * {@link GgufFile} reads back exactly what was written.
 */
public final class GgufWriter {
    private static final byte[] MAGIC = "GGUF".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 3;

    private GgufWriter() {
    }

    /** Fills {@code dst} (exactly the tensor's byte count, a slice of the mapped output) with its bytes in its ggml type. */
    @FunctionalInterface
    public interface Source {
        void fill(MemorySegment dst) throws IOException;
    }

    /** A tensor to write: its name, row-major shape (the reverse of ggml's ne), ggml type and where its bytes come from. */
    public record Tensor(String name, long[] shape, GgmlType type, Source source) {
        public Tensor {
            shape = shape.clone();
        }

        /** ggml's dimensions: the shape reversed. */
        public long[] ne() {
            long[] ne = new long[shape.length];
            for (int i = 0; i < ne.length; i++) ne[i] = shape[shape.length - 1 - i];
            return ne;
        }

        /** Elements / block size x bytes per block; the row length must be a whole number of blocks. */
        public long byteSize() {
            long elements = 1;
            for (long d : shape) elements = Math.multiplyExact(elements, d);
            if (shape.length > 0 && shape[shape.length - 1] % type.blockSize != 0) {
                throw new IllegalArgumentException("tensor '" + name + "': rows of " + shape[shape.length - 1] + " are not whole " + type + " blocks");
            }
            return Math.multiplyExact(elements / type.blockSize, type.bytesPerBlock);
        }
    }

    /** Typed key-value pairs in insertion order (a key put again keeps its place), each held encoded: u32 value type, then the value. */
    public static final class Metadata {
        private final Map<String, byte[]> values = new LinkedHashMap<>();

        public Metadata u8(String key, int v) {
            return scalar(key, GgufValueType.UINT8, v);
        }

        public Metadata i8(String key, int v) {
            return scalar(key, GgufValueType.INT8, v);
        }

        public Metadata u16(String key, int v) {
            return scalar(key, GgufValueType.UINT16, v);
        }

        public Metadata i16(String key, int v) {
            return scalar(key, GgufValueType.INT16, v);
        }

        public Metadata u32(String key, long v) {
            return scalar(key, GgufValueType.UINT32, v);
        }

        public Metadata i32(String key, int v) {
            return scalar(key, GgufValueType.INT32, v);
        }

        public Metadata u64(String key, long v) {
            return scalar(key, GgufValueType.UINT64, v);
        }

        public Metadata i64(String key, long v) {
            return scalar(key, GgufValueType.INT64, v);
        }

        public Metadata f32(String key, float v) {
            return put(key, le(8).putInt(GgufValueType.FLOAT32.id).putFloat(v).array());
        }

        public Metadata f64(String key, double v) {
            return put(key, le(12).putInt(GgufValueType.FLOAT64.id).putDouble(v).array());
        }

        public Metadata bool(String key, boolean v) {
            return put(key, le(5).putInt(GgufValueType.BOOL.id).put((byte) (v ? 1 : 0)).array());
        }

        public Metadata string(String key, String v) {
            ByteArrayOutputStream out = typed(GgufValueType.STRING);
            out.writeBytes(GgufWriter.string(v));
            return put(key, out.toByteArray());
        }

        /** An array of integers of type {@code element} (u8 ... i64; each value truncated to the type's width). */
        public Metadata intArray(String key, GgufValueType element, long... v) {
            if (!element.isInteger()) throw new IllegalArgumentException(element.label + " is not an integer type");
            ByteArrayOutputStream out = arrayHeader(element, v.length);
            for (long x : v) out.writeBytes(integer(element, x));
            return put(key, out.toByteArray());
        }

        public Metadata i32Array(String key, int... v) {
            long[] wide = new long[v.length];
            for (int i = 0; i < v.length; i++) wide[i] = v[i];
            return intArray(key, GgufValueType.INT32, wide);
        }

        public Metadata f32Array(String key, float... v) {
            ByteBuffer b = le(4 * v.length);
            for (float x : v) b.putFloat(x);
            return array(key, GgufValueType.FLOAT32, v.length, b.array());
        }

        public Metadata f64Array(String key, double... v) {
            ByteBuffer b = le(8 * v.length);
            for (double x : v) b.putDouble(x);
            return array(key, GgufValueType.FLOAT64, v.length, b.array());
        }

        public Metadata boolArray(String key, boolean... v) {
            byte[] b = new byte[v.length];
            for (int i = 0; i < v.length; i++) b[i] = (byte) (v[i] ? 1 : 0);
            return array(key, GgufValueType.BOOL, v.length, b);
        }

        public Metadata stringArray(String key, String... v) {
            ByteArrayOutputStream out = arrayHeader(GgufValueType.STRING, v.length);
            for (String s : v) out.writeBytes(GgufWriter.string(s));
            return put(key, out.toByteArray());
        }

        /** A value already encoded (u32 type, then the value), as {@link GgufMetadata#encoded} gives it. */
        public Metadata encoded(String key, byte[] typeAndValue) {
            return put(key, typeAndValue.clone());
        }

        /** Every pair of {@code other}, in its order (a key already here takes the new value in its old place). */
        public Metadata putAll(Metadata other) {
            other.values.forEach(this::put);
            return this;
        }

        public boolean has(String key) {
            return values.containsKey(key);
        }

        /** The value of {@code key} as written (u32 type, then the value), or null when absent. */
        public byte[] encoded(String key) {
            byte[] v = values.get(key);
            return v == null ? null : v.clone();
        }

        public Metadata remove(String key) {
            values.remove(key);
            return this;
        }

        /** The keys, in the order they will be written. */
        public Set<String> keys() {
            return values.keySet();
        }

        private Metadata scalar(String key, GgufValueType type, long v) {
            ByteArrayOutputStream out = typed(type);
            out.writeBytes(integer(type, v));
            return put(key, out.toByteArray());
        }

        private Metadata array(String key, GgufValueType element, long count, byte[] elements) {
            ByteArrayOutputStream out = arrayHeader(element, count);
            out.writeBytes(elements);
            return put(key, out.toByteArray());
        }

        private Metadata put(String key, byte[] typeAndValue) {
            if (key.isEmpty()) throw new IllegalArgumentException("empty metadata key");
            values.put(key, typeAndValue);
            return this;
        }

        private static ByteArrayOutputStream typed(GgufValueType type) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(le(4).putInt(type.id).array());
            return out;
        }

        /** u32 ARRAY, u32 element type, u64 count. */
        private static ByteArrayOutputStream arrayHeader(GgufValueType element, long count) {
            ByteArrayOutputStream out = typed(GgufValueType.ARRAY);
            out.writeBytes(le(12).putInt(element.id).putLong(count).array());
            return out;
        }

        /** The low {@code type.bytes} bytes of {@code v}, little-endian. */
        private static byte[] integer(GgufValueType type, long v) {
            byte[] b = new byte[type.bytes];
            for (int i = 0; i < b.length; i++) b[i] = (byte) (v >>> (8 * i));
            return b;
        }

        /** general.alignment when set (a u32 power of two), else 32. */
        int alignment() {
            byte[] v = values.get(GgufFile.ALIGNMENT_KEY);
            if (v == null) return GgufFile.DEFAULT_ALIGNMENT;
            ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
            int a = b.getInt(0) == GgufValueType.UINT32.id ? b.getInt(4) : 0;
            if (a <= 0 || Integer.bitCount(a) != 1) throw new IllegalArgumentException(GgufFile.ALIGNMENT_KEY + " must be a u32 power of two");
            return a;
        }
    }

    /** Writes {@code tensors} (in this order) with {@code metadata} to {@code file}, calling each tensor's source once. */
    public static void write(Path file, Metadata metadata, List<Tensor> tensors) {
        Set<String> names = new HashSet<>();
        for (Tensor t : tensors) {
            if (!names.add(t.name())) throw ShallowException.at(file, "tensor '" + t.name() + "' is declared twice");
            if (t.name().getBytes(StandardCharsets.UTF_8).length >= 64) throw ShallowException.at(file, "tensor name '" + t.name() + "' has 64 bytes or more (ggml's limit)");
        }
        int alignment = metadata.alignment();
        long[] offsets = new long[tensors.size()];
        long dataSize = 0;
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = dataSize;
            dataSize = align(dataSize + tensors.get(i).byteSize(), alignment);
        }
        byte[] header = header(metadata, tensors, offsets);
        long dataStart = align(header.length, alignment), size = dataStart + dataSize;
        AtomicFiles.write(file, tmp -> {
            // a mapped write past the free space would fault (SIGBUS) instead of failing: check the space first
            long free = Files.getFileStore(tmp).getUsableSpace();
            if (free < size) throw new FileSystemException(tmp.toString(), null, "No space left on device (" + size + " bytes needed, " + free + " free)");
            try (Arena arena = Arena.ofShared();
                 FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                MemorySegment out = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena); // a new file's bytes are zero: the padding
                MemorySegment.copy(MemorySegment.ofArray(header), 0, out, 0, header.length);
                for (int i = 0; i < offsets.length; i++) {
                    Tensor t = tensors.get(i);
                    t.source().fill(out.asSlice(dataStart + offsets[i], t.byteSize()));
                }
                out.force();
            } catch (InternalError e) { // the JVM's report of a fault in mapped memory: the space went while writing
                throw new FileSystemException(tmp.toString(), null, "the file system failed under the mapped file (full?): " + e.getMessage());
            }
        });
    }

    /** Magic, version, counts, the key-values and the tensor infos (string name, u32 n_dims, u64 ne[], u32 type, u64 offset). */
    private static byte[] header(Metadata metadata, List<Tensor> tensors, long[] offsets) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC);
        out.writeBytes(le(20).putInt(VERSION).putLong(tensors.size()).putLong(metadata.values.size()).array());
        metadata.values.forEach((key, value) -> {
            out.writeBytes(string(key));
            out.writeBytes(value);
        });
        for (int i = 0; i < offsets.length; i++) {
            Tensor t = tensors.get(i);
            out.writeBytes(string(t.name()));
            long[] ne = t.ne();
            ByteBuffer b = le(4 + 8 * ne.length + 4 + 8).putInt(ne.length);
            for (long d : ne) b.putLong(d);
            out.writeBytes(b.putInt(t.type().id).putLong(offsets[i]).array());
        }
        return out.toByteArray();
    }

    static long align(long n, int alignment) {
        return (n + alignment - 1) / alignment * alignment;
    }

    /** A GGUF string: u64 byte length, then the UTF-8 bytes. */
    static byte[] string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return le(8 + b.length).putLong(b.length).put(b).array();
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
