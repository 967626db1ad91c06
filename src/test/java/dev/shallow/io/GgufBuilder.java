package dev.shallow.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes small GGUF files for tests, laid out as ggml/docs/gguf.md says; nothing is validated, so broken files can be made too. */
public final class GgufBuilder {
    private final ByteArrayOutputStream kv = new ByteArrayOutputStream();
    private final ByteArrayOutputStream infos = new ByteArrayOutputStream();
    private byte[] data = new byte[0];
    private int version = 3;
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;
    private long kvCount;
    private long tensorCount;

    public GgufBuilder version(int v) {
        version = v;
        return this;
    }

    /** The alignment the data section is padded to (set general.alignment separately). */
    public GgufBuilder padTo(int a) {
        alignment = a;
        return this;
    }

    /** One key-value pair: key, u32 type, then {@code value} as given (already encoded). */
    public GgufBuilder raw(String key, int type, byte[] value) {
        kv.writeBytes(string(key));
        kv.writeBytes(le(4).putInt(type).array());
        kv.writeBytes(value);
        kvCount++;
        return this;
    }

    public GgufBuilder string(String key, String value) {
        return raw(key, GgufValueType.STRING.id, string(value));
    }

    public GgufBuilder u32(String key, long value) {
        return raw(key, GgufValueType.UINT32.id, le(4).putInt((int) value).array());
    }

    public GgufBuilder f32(String key, float value) {
        return raw(key, GgufValueType.FLOAT32.id, le(4).putFloat(value).array());
    }

    public GgufBuilder bool(String key, boolean value) {
        return raw(key, GgufValueType.BOOL.id, new byte[] {(byte) (value ? 1 : 0)});
    }

    public GgufBuilder stringArray(String key, String... values) {
        ByteArrayOutputStream out = arrayHeader(GgufValueType.STRING, values.length);
        for (String v : values) out.writeBytes(string(v));
        return raw(key, GgufValueType.ARRAY.id, out.toByteArray());
    }

    public GgufBuilder floatArray(String key, float... values) {
        ByteArrayOutputStream out = arrayHeader(GgufValueType.FLOAT32, values.length);
        for (float v : values) out.writeBytes(le(4).putFloat(v).array());
        return raw(key, GgufValueType.ARRAY.id, out.toByteArray());
    }

    public GgufBuilder intArray(String key, int... values) {
        ByteArrayOutputStream out = arrayHeader(GgufValueType.INT32, values.length);
        for (int v : values) out.writeBytes(le(4).putInt(v).array());
        return raw(key, GgufValueType.ARRAY.id, out.toByteArray());
    }

    /** u32 element type and u64 count of an array value. */
    public static ByteArrayOutputStream arrayHeader(GgufValueType element, long count) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(le(4).putInt(element.id).array());
        out.writeBytes(le(8).putLong(count).array());
        return out;
    }

    /** A tensor info with a raw type id, so unknown types can be written. */
    public GgufBuilder tensor(String name, int typeId, long offset, long... ne) {
        infos.writeBytes(string(name));
        infos.writeBytes(le(4).putInt(ne.length).array());
        for (long d : ne) infos.writeBytes(le(8).putLong(d).array());
        infos.writeBytes(le(4).putInt(typeId).array());
        infos.writeBytes(le(8).putLong(offset).array());
        tensorCount++;
        return this;
    }

    public GgufBuilder tensor(String name, GgmlType type, long offset, long... ne) {
        return tensor(name, type.id, offset, ne);
    }

    public GgufBuilder data(byte[] bytes) {
        data = bytes;
        return this;
    }

    /** Magic, version, counts, key-values, tensor infos; then, if there are tensors, zero padding and the data. */
    public byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(le(4).putInt(version).array());
        out.writeBytes(le(8).putLong(tensorCount).array());
        out.writeBytes(le(8).putLong(kvCount).array());
        out.writeBytes(kv.toByteArray());
        out.writeBytes(infos.toByteArray());
        if (tensorCount > 0) {
            while (out.size() % alignment != 0) out.write(0);
            out.writeBytes(data);
        }
        return out.toByteArray();
    }

    public Path write(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return Files.write(file, bytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A GGUF string: u64 byte length and the UTF-8 bytes. */
    public static byte[] string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return le(8 + b.length).putLong(b.length).put(b).array();
    }

    public static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
