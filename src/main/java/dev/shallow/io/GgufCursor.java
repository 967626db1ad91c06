package dev.shallow.io;

import dev.shallow.ShallowException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Reads the header of a GGUF file front to back: little-endian numbers and length-prefixed UTF-8 strings
 * (ggml/docs/gguf.md, "File Structure"), every read checked against the end of the file first, so a
 * truncated file or a wild length is an error naming the byte, never an out-of-memory.
 */
final class GgufCursor {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final MemorySegment bytes;
    private final long base;
    private long position;

    /** A cursor over {@code bytes}, which start at byte {@code base} of the file (for messages). */
    GgufCursor(Path file, MemorySegment bytes, long base) {
        this.file = file;
        this.bytes = bytes;
        this.base = base;
    }

    Path file() {
        return file;
    }

    MemorySegment bytes() {
        return bytes;
    }

    /** The byte of the file the cursor is at. */
    long position() {
        return base + position;
    }

    long remaining() {
        return bytes.byteSize() - position;
    }

    ShallowException fail(String problem) {
        return ShallowException.at(file, problem);
    }

    /** Throws unless {@code count} bytes are left for {@code what}. */
    void need(long count, String what) {
        if (count < 0 || count > remaining()) {
            throw fail(what + " needs " + Long.toUnsignedString(count) + " bytes at byte " + (base + position) + " but the file ends at byte "
                    + (base + bytes.byteSize()) + " (truncated?)");
        }
    }

    /**
     * Throws unless {@code count} items of at least {@code minBytes} each can fit in what is left, before
     * anything is allocated for them (counts are u64 in the file).
     */
    void needItems(long count, long minBytes, String what) {
        if (count < 0 || count > remaining() / minBytes) {
            throw fail(what + " count " + Long.toUnsignedString(count) + " at byte " + (base + position) + " cannot fit in the "
                    + remaining() + " bytes left of the file");
        }
    }

    /** The bytes at [position, position + count) as a view; the cursor moves past them. */
    MemorySegment slice(long count, String what) {
        need(count, what);
        MemorySegment s = bytes.asSlice(position, count);
        position += count;
        return s;
    }

    int u8(String what) {
        return slice(1, what).get(ValueLayout.JAVA_BYTE, 0) & 0xFF;
    }

    int u32(String what) {
        return slice(4, what).get(U32, 0);
    }

    long u64(String what) {
        return slice(8, what).get(U64, 0);
    }

    /** A GGUF string: u64 byte length, then that many bytes of UTF-8 (strictly decoded). */
    String string(String what) {
        long length = u64(what + " length");
        need(length, what);
        if (length > Integer.MAX_VALUE - 8) throw fail(what + " at byte " + (base + position) + " has " + Long.toUnsignedString(length) + " bytes, more than a Java string holds");
        MemorySegment s = slice(length, what);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(s.toArray(ValueLayout.JAVA_BYTE))).toString();
        } catch (CharacterCodingException e) {
            throw fail(what + " at byte " + (base + position - length) + " is not valid UTF-8");
        }
    }
}
