package dev.shallow.io;

import dev.shallow.ShallowException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The key-value section of a GGUF file (ggml/docs/gguf.md, {@code gguf_metadata_kv_t}): typed values by key,
 * in file order, with getters that name the file and key when a key is missing or has another type.
 * Scalars are read when the file is opened (integers as longs, u64 as its bits); arrays stay views of the
 * mapping, their extent checked at open and their elements decoded when a getter asks, so a large or corrupt
 * array costs no memory until it is used. Read arrays before the {@link GgufFile} is closed.
 */
public final class GgufMetadata {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** The smallest key-value pair: u64 key length, u32 type, one byte of value. */
    private static final int MIN_PAIR_BYTES = 8 + 4 + 1;

    /** The bytes of an array's {@code count} elements, in the mapping from byte {@code offset} of the file. */
    private record Elements(MemorySegment bytes, int count, long offset) {
    }

    /** One value; {@code elementType} is set for arrays only, whose value is their {@link Elements}. */
    private record Value(GgufValueType type, GgufValueType elementType, Object value) {
        String typeName() {
            return type == GgufValueType.ARRAY ? "array[" + elementType.label + "]" : type.label;
        }
    }

    private final Path file;
    private final Map<String, Value> values;

    private GgufMetadata(Path file, Map<String, Value> values) {
        this.file = file;
        this.values = values;
    }

    /** Reads {@code count} key-value pairs at the cursor; keys must be unique (gguf.cpp rejects duplicates). */
    static GgufMetadata read(GgufCursor c, long count) {
        c.needItems(count, MIN_PAIR_BYTES, "key-value");
        Map<String, Value> values = new LinkedHashMap<>();
        for (long i = 0; i < count; i++) {
            String key = c.string("key " + i);
            Value v = value(c, key, valueType(c, "type of '" + key + "'"));
            if (values.putIfAbsent(key, v) != null) throw c.fail("duplicate metadata key '" + key + "'");
        }
        return new GgufMetadata(c.file(), Collections.unmodifiableMap(values));
    }

    private static GgufValueType valueType(GgufCursor c, String what) {
        long at = c.position();
        int id = c.u32(what);
        return GgufValueType.of(Integer.toUnsignedLong(id)).orElseThrow(() ->
                c.fail(what + " at byte " + at + " is " + Integer.toUnsignedString(id) + ", not a GGUF value type (0-12)"));
    }

    /** A scalar, or an array: u32 element type, u64 count, the elements (arrays of arrays are refused). */
    private static Value value(GgufCursor c, String key, GgufValueType type) {
        if (type != GgufValueType.ARRAY) return new Value(type, null, scalar(c, key, type));
        GgufValueType element = valueType(c, "array element type of '" + key + "'");
        if (element == GgufValueType.ARRAY) throw c.fail("metadata key '" + key + "' is an array of arrays, which is not supported");
        long count = c.u64("array length of '" + key + "'");
        c.needItems(count, element == GgufValueType.STRING ? 8 : element.bytes, "array '" + key + "'");
        if (count > Integer.MAX_VALUE - 8) throw c.fail("array '" + key + "' has " + count + " elements, more than a Java array holds");
        long start = c.position();
        if (element != GgufValueType.STRING) c.slice(count * element.bytes, "array '" + key + "'");
        for (long i = 0; element == GgufValueType.STRING && i < count; i++) {
            c.slice(c.u64("array '" + key + "' element " + i + " length"), "array '" + key + "' element " + i);
        }
        return new Value(type, element, new Elements(c.bytes().asSlice(start, c.position() - start), (int) count, start));
    }

    private static Object scalar(GgufCursor c, String key, GgufValueType type) {
        String what = "value of '" + key + "'";
        return switch (type) {
            case STRING -> c.string(what);
            case FLOAT32 -> Float.intBitsToFloat(c.u32(what));
            case FLOAT64 -> Double.longBitsToDouble(c.u64(what));
            case BOOL -> bool(c, what);
            default -> integer(c.slice(type.bytes, what), 0, type);
        };
    }

    /** A little-endian integer of the type's width at {@code offset}, sign-extended for signed types. */
    private static long integer(MemorySegment s, long offset, GgufValueType type) {
        long v = 0;
        for (int i = type.bytes - 1; i >= 0; i--) v = v << 8 | (s.get(ValueLayout.JAVA_BYTE, offset + i) & 0xFF);
        int unused = 64 - 8 * type.bytes;
        return type.isSigned() && unused > 0 ? v << unused >> unused : v;
    }

    /** A bool is one byte, 0 or 1 (gguf.md). */
    private static boolean bool(GgufCursor c, String what) {
        long at = c.position();
        int b = c.u8(what);
        if (b > 1) throw c.fail(what + " at byte " + at + " is " + b + ", not a bool (0 or 1)");
        return b == 1;
    }

    /** The keys, in file order. */
    public Set<String> keys() {
        return values.keySet();
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    /** The type of {@code key} as GGUF names it ("u32", "string", "array[f32]"). */
    public String typeName(String key) {
        return get(key).typeName();
    }

    public String string(String key) {
        return (String) typed(key, GgufValueType.STRING).value();
    }

    /** An integer of any width; a u64 above Long.MAX_VALUE is an error. */
    public long longValue(String key) {
        Value v = get(key);
        if (!v.type().isInteger()) throw wrongType(key, v, "an integer");
        long x = (Long) v.value();
        if (v.type() == GgufValueType.UINT64 && x < 0) throw fail(key, "= " + Long.toUnsignedString(x) + " does not fit in a signed 64-bit integer");
        return x;
    }

    /** An integer of any width that fits in an int. */
    public int intValue(String key) {
        long x = longValue(key);
        if (x != (int) x) throw fail(key, "= " + x + " does not fit in an int");
        return (int) x;
    }

    public float floatValue(String key) {
        return (Float) typed(key, GgufValueType.FLOAT32).value();
    }

    /** An f32 or f64. */
    public double doubleValue(String key) {
        Value v = get(key);
        if (v.type() == GgufValueType.FLOAT32) return (Float) v.value();
        if (v.type() == GgufValueType.FLOAT64) return (Double) v.value();
        throw wrongType(key, v, "f32 or f64");
    }

    public boolean bool(String key) {
        return (Boolean) typed(key, GgufValueType.BOOL).value();
    }

    /** An array of strings, each strictly UTF-8. */
    public String[] stringArray(String key) {
        Elements e = elements(key, GgufValueType.STRING);
        GgufCursor c = new GgufCursor(file, e.bytes(), e.offset());
        String[] out = new String[e.count()];
        for (int i = 0; i < out.length; i++) out[i] = c.string("array '" + key + "' element " + i);
        return out;
    }

    public float[] floatArray(String key) {
        Elements e = elements(key, GgufValueType.FLOAT32);
        float[] out = new float[e.count()];
        MemorySegment.copy(e.bytes(), F32, 0, out, 0, out.length);
        return out;
    }

    /** An array of any integer type whose elements all fit in an int. */
    public int[] intArray(String key) {
        Value v = get(key);
        if (v.type() != GgufValueType.ARRAY || !v.elementType().isInteger()) throw wrongType(key, v, "an array of integers");
        Elements e = (Elements) v.value();
        int[] out = new int[e.count()];
        for (int i = 0; i < out.length; i++) {
            long x = integer(e.bytes(), (long) i * v.elementType().bytes, v.elementType());
            if (x != (int) x || (v.elementType() == GgufValueType.UINT64 && x < 0)) {
                throw fail(key, "element " + i + " = " + Long.toUnsignedString(x) + " does not fit in an int");
            }
            out[i] = (int) x;
        }
        return out;
    }

    /** The number of elements of array {@code key}, or -1 when it is a scalar. */
    public int arrayLength(String key) {
        Value v = get(key);
        return v.type() == GgufValueType.ARRAY ? ((Elements) v.value()).count() : -1;
    }

    /** The value of {@code key} encoded as the file holds it (u32 value type, then the value), for {@link GgufWriter.Metadata#encoded}. */
    public byte[] encoded(String key) {
        Value v = get(key);
        if (v.type() != GgufValueType.ARRAY) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            out.writeBytes(le32(v.type().id));
            switch (v.type()) {
                case STRING -> out.writeBytes(GgufWriter.string((String) v.value()));
                case FLOAT32 -> out.writeBytes(le32(Float.floatToRawIntBits((Float) v.value())));
                case FLOAT64 -> out.writeBytes(le64(Double.doubleToRawLongBits((Double) v.value())));
                case BOOL -> out.write((Boolean) v.value() ? 1 : 0);
                default -> out.writeBytes(java.util.Arrays.copyOf(le64((Long) v.value()), v.type().bytes));
            }
            return out.toByteArray();
        }
        Elements e = (Elements) v.value();
        return arrayEncoding(v.elementType(), e.count(), e.bytes().toArray(ValueLayout.JAVA_BYTE));
    }

    /** Array {@code key} with only the elements at {@code indices} (in that order), encoded as {@link #encoded} encodes it. */
    public byte[] encodedElements(String key, int[] indices) {
        Value v = get(key);
        if (v.type() != GgufValueType.ARRAY) throw wrongType(key, v, "an array");
        Elements e = (Elements) v.value();
        long[] start = new long[e.count() + 1];
        if (v.elementType() == GgufValueType.STRING) {
            GgufCursor c = new GgufCursor(file, e.bytes(), e.offset());
            for (int i = 0; i < e.count(); i++) {
                c.string("array '" + key + "' element " + i);
                start[i + 1] = c.position() - e.offset();
            }
        } else {
            for (int i = 0; i <= e.count(); i++) start[i] = (long) i * v.elementType().bytes;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i : indices) out.writeBytes(e.bytes().asSlice(start[i], start[i + 1] - start[i]).toArray(ValueLayout.JAVA_BYTE));
        return arrayEncoding(v.elementType(), indices.length, out.toByteArray());
    }

    private static byte[] arrayEncoding(GgufValueType element, long count, byte[] elements) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(le32(GgufValueType.ARRAY.id));
        out.writeBytes(le32(element.id));
        out.writeBytes(le64(count));
        out.writeBytes(elements);
        return out.toByteArray();
    }

    private static byte[] le32(int v) {
        return java.nio.ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static byte[] le64(long v) {
        return java.nio.ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    private Value get(String key) {
        Value v = values.get(key);
        if (v == null) throw ShallowException.at(file, "metadata key '" + key + "' is missing");
        return v;
    }

    private Value typed(String key, GgufValueType type) {
        Value v = get(key);
        if (v.type() != type) throw wrongType(key, v, type.label);
        return v;
    }

    private Elements elements(String key, GgufValueType element) {
        Value v = get(key);
        if (v.type() != GgufValueType.ARRAY || v.elementType() != element) throw wrongType(key, v, "array[" + element.label + "]");
        return (Elements) v.value();
    }

    private ShallowException wrongType(String key, Value v, String expected) {
        return fail(key, "is " + v.typeName() + ", not " + expected);
    }

    private ShallowException fail(String key, String problem) {
        return ShallowException.at(file, "metadata key '" + key + "' " + problem);
    }
}
