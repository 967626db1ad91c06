package dev.shallow.tokenizer;

import dev.shallow.ShallowException;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads one protocol-buffers message field by field (wire format: https://protobuf.dev/programming-guides/encoding/):
 * varint tags, then varint, 64-bit, length-delimited or 32-bit values. Every length is checked against the end
 * of the enclosing message; positions in messages are bytes of the file.
 */
final class ProtoReader {
    static final int VARINT = 0;
    static final int I64 = 1;
    static final int LEN = 2;
    static final int I32 = 5;

    private final byte[] buf;
    private final int end;
    private final Spec spec;
    private final String message;
    private int pos;

    ProtoReader(byte[] buf, int from, int end, Spec spec, String message) {
        this.buf = buf;
        this.pos = from;
        this.end = end;
        this.spec = spec;
        this.message = message;
    }

    boolean more() {
        return pos < end;
    }

    /** The next field's tag: field number << 3 | wire type. */
    int tag() {
        int at = pos;
        long tag = varint();
        if (tag >>> 3 == 0 || tag >>> 3 > 0x1FFF_FFFF) throw fail("bad field tag " + Long.toUnsignedString(tag) + " at byte " + at);
        return (int) tag;
    }

    static int field(int tag) {
        return tag >>> 3;
    }

    static int wireType(int tag) {
        return tag & 7;
    }

    /** A base-128 varint of at most 10 bytes. */
    long varint() {
        long v = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (pos >= end) throw fail("truncated varint at byte " + pos);
            byte b = buf[pos++];
            v |= (long) (b & 0x7F) << shift;
            if (b >= 0) return v;
        }
        throw fail("varint longer than 10 bytes at byte " + pos);
    }

    /** A little-endian 32-bit value (float fields). */
    int fixed32() {
        need(4, "32-bit value");
        int v = (buf[pos] & 0xFF) | (buf[pos + 1] & 0xFF) << 8 | (buf[pos + 2] & 0xFF) << 16 | (buf[pos + 3] & 0xFF) << 24;
        pos += 4;
        return v;
    }

    /** A length-delimited value as an embedded message called {@code name}. */
    ProtoReader message(String name) {
        int length = length();
        ProtoReader m = new ProtoReader(buf, pos, pos + length, spec, name);
        pos += length;
        return m;
    }

    /** A length-delimited value as raw bytes. */
    byte[] bytes() {
        int length = length();
        pos += length;
        return Arrays.copyOfRange(buf, pos - length, pos);
    }

    /** A length-delimited value as strict UTF-8 text. */
    String string(String what) {
        int at = pos;
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes())).toString();
        } catch (CharacterCodingException e) {
            throw fail(what + " at byte " + at + " is not valid UTF-8");
        }
    }

    /** Skips a value of a field this reader does not use; groups (wire types 3, 4) and types 6, 7 are refused. */
    void skip(int wireType) {
        switch (wireType) {
            case VARINT -> varint();
            case I64 -> {
                need(8, "64-bit value");
                pos += 8;
            }
            case LEN -> bytes();
            case I32 -> fixed32();
            default -> throw fail("unsupported wire type " + wireType + " before byte " + pos);
        }
    }

    /** Throws unless {@code tag} has {@code wireType}. */
    void expect(int tag, int wireType) {
        if (wireType(tag) != wireType) {
            throw fail("field " + field(tag) + " has wire type " + wireType(tag) + ", expected " + wireType + " (not a SentencePiece model?)");
        }
    }

    private int length() {
        int at = pos;
        long length = varint();
        if (length < 0 || length > end - pos) throw fail("length " + Long.toUnsignedString(length) + " at byte " + at + " runs past the end of " + message);
        return (int) length;
    }

    private void need(int count, String what) {
        if (count > end - pos) throw fail("truncated " + what + " at byte " + pos);
    }

    ShallowException fail(String problem) {
        return spec.fail(message + ": " + problem);
    }
}
