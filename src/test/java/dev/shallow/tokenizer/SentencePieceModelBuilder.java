package dev.shallow.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes SentencePiece ModelProto files for tests (sentencepiece_model.proto field numbers, protobuf wire
 * format); nothing is validated, so broken models can be written too.
 */
final class SentencePieceModelBuilder {
    private final ByteArrayOutputStream pieces = new ByteArrayOutputStream();
    private final ByteArrayOutputStream trainer = new ByteArrayOutputStream();
    private final ByteArrayOutputStream normalizer = new ByteArrayOutputStream();
    private final ByteArrayOutputStream extra = new ByteArrayOutputStream();

    /** A BPE model with byte fallback and Llama 2's normalizer (identity, dummy prefix, no whitespace removal). */
    static SentencePieceModelBuilder bpe() {
        SentencePieceModelBuilder b = new SentencePieceModelBuilder();
        varint(b.trainer, 3, 2);
        varint(b.trainer, 35, 1);
        bytes(b.normalizer, 1, "identity".getBytes(StandardCharsets.UTF_8));
        varint(b.normalizer, 3, 1);
        varint(b.normalizer, 4, 0);
        return b;
    }

    /** ModelProto.SentencePiece {piece 1, score 2, type 3}. */
    SentencePieceModelBuilder piece(String piece, float score, PieceType type) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        bytes(p, 1, piece.getBytes(StandardCharsets.UTF_8));
        tag(p, 2, 5);
        int bits = Float.floatToRawIntBits(score);
        for (int i = 0; i < 4; i++) p.write(bits >>> (8 * i));
        varint(p, 3, type.code);
        bytes(pieces, 1, p.toByteArray());
        return this;
    }

    /** <unk>, <s>, </s> and the 256 byte pieces, as Llama 2 starts. */
    SentencePieceModelBuilder llamaSpecials() {
        piece("<unk>", 0, PieceType.UNKNOWN).piece("<s>", 0, PieceType.CONTROL).piece("</s>", 0, PieceType.CONTROL);
        for (int b = 0; b < 256; b++) piece(Vocab.byteToken(b), 0, PieceType.BYTE);
        return this;
    }

    /** A varint field of trainer_spec (e.g. 3 model_type, 35 byte_fallback). */
    SentencePieceModelBuilder trainer(int field, long value) {
        varint(trainer, field, value);
        return this;
    }

    /** A varint field of normalizer_spec (3 add_dummy_prefix, 4 remove_extra_whitespaces, 5 escape_whitespaces). */
    SentencePieceModelBuilder normalizer(int field, long value) {
        varint(normalizer, field, value);
        return this;
    }

    /** Raw bytes of normalizer_spec field 2 (precompiled_charsmap). */
    SentencePieceModelBuilder charsMap(byte[] map) {
        bytes(normalizer, 2, map);
        return this;
    }

    /** Bytes appended to the message as they are. */
    SentencePieceModelBuilder raw(byte[] b) {
        extra.writeBytes(b);
        return this;
    }

    byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(pieces.toByteArray());
        bytes(out, 2, trainer.toByteArray());
        bytes(out, 3, normalizer.toByteArray());
        out.writeBytes(extra.toByteArray());
        return out.toByteArray();
    }

    Path write(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return Files.write(file, bytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void tag(ByteArrayOutputStream out, int field, int wireType) {
        varint(out, (long) field << 3 | wireType);
    }

    static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) (v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static void varint(ByteArrayOutputStream out, int field, long value) {
        tag(out, field, 0);
        varint(out, value);
    }

    private static void bytes(ByteArrayOutputStream out, int field, byte[] b) {
        tag(out, field, 2);
        varint(out, b.length);
        out.writeBytes(b);
    }
}
