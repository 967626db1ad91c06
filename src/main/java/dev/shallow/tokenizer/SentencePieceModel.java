package dev.shallow.tokenizer;

import dev.shallow.io.InputFiles;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * A SentencePiece {@code tokenizer.model}: the ModelProto protobuf of sentencepiece_model.proto, of which this
 * reads the pieces (piece 1, score 2, type 3), trainer_spec (model_type 3, treat_whitespace_as_suffix 24,
 * byte_fallback 35, bos_id 41, eos_id 42, unk_surface 44) and normalizer_spec (name 1, precompiled_charsmap 2,
 * add_dummy_prefix 3, remove_extra_whitespaces 4, escape_whitespaces 5), with the proto2 defaults when absent.
 * Only BPE models with the identity normalizer are read; unigram models, precompiled normalization rules and
 * suffix whitespace are refused. The piece rules are sentencepiece's (model_interface.cc InitializePieces):
 * no empty or repeated piece, exactly one UNKNOWN piece, BYTE pieces only with byte_fallback.
 */
final class SentencePieceModel {
    /** TrainerSpec.ModelType. */
    private static final List<String> MODEL_TYPES = List.of("", "UNIGRAM", "BPE", "WORD", "CHAR");
    private static final int BPE = 2;

    private SentencePieceModel() {
    }

    static Tokenizer load(Path file) {
        return vocab(file).tokenizer(new Spec(file));
    }

    /** The pieces, scores, types and options of {@code file}, checked as {@link #load} checks them. */
    static SentencePieceVocab vocab(Path file) {
        Spec spec = new Spec(file);
        byte[] bytes = InputFiles.readAllBytes(file);
        return read(new ProtoReader(bytes, 0, bytes.length, spec, "ModelProto"), spec, TokenizerConfig.next(file));
    }

    /** Options gathered while reading, starting from their proto2 defaults. */
    private static final class Fields {
        final List<String> pieces = new ArrayList<>();
        final List<Float> scores = new ArrayList<>();
        final List<PieceType> types = new ArrayList<>();
        long modelType = 1;
        boolean byteFallback;
        boolean suffixWhitespace;
        int bosId = 1;
        int eosId = 2;
        String unkSurface = SentencePieceVocab.DEFAULT_UNK_SURFACE;
        String normalizerName = "";
        boolean charsMap;
        boolean denormalizerCharsMap;
        boolean addDummyPrefix = true;
        boolean removeExtraWhitespaces = true;
        boolean escapeWhitespaces = true;
    }

    private static SentencePieceVocab read(ProtoReader r, Spec spec, TokenizerConfig config) {
        Fields f = new Fields();
        while (r.more()) {
            int tag = r.tag();
            switch (ProtoReader.field(tag)) {
                case 1 -> piece(lengthDelimited(r, tag).message("piece " + f.pieces.size()), f);
                case 2 -> trainerSpec(lengthDelimited(r, tag).message("trainer_spec"), f);
                case 3 -> normalizerSpec(lengthDelimited(r, tag).message("normalizer_spec"), f);
                case 5 -> denormalizerSpec(lengthDelimited(r, tag).message("denormalizer_spec"), f);
                default -> r.skip(ProtoReader.wireType(tag));
            }
        }
        if (f.modelType != BPE) {
            String name = f.modelType < MODEL_TYPES.size() ? MODEL_TYPES.get((int) f.modelType) : String.valueOf(f.modelType);
            throw spec.fail("trainer_spec.model_type is " + name + "; only BPE SentencePiece models are supported");
        }
        if (f.suffixWhitespace) throw spec.fail("trainer_spec.treat_whitespace_as_suffix is set, which is not supported");
        if (f.charsMap) throw spec.fail("normalizer_spec '" + f.normalizerName + "' has precompiled normalization rules, which are not supported (only identity)");
        if (f.denormalizerCharsMap) throw spec.fail("denormalizer_spec has precompiled rules, which are not supported");
        int unk = -1;
        for (int id = 0; id < f.pieces.size(); id++) {
            if (f.types.get(id) == PieceType.UNKNOWN && unk >= 0) throw spec.fail("pieces " + unk + " and " + id + " are both UNKNOWN");
            if (f.types.get(id) == PieceType.UNKNOWN) unk = id;
            if (f.types.get(id) == PieceType.BYTE && !f.byteFallback) throw spec.fail("BYTE piece " + id + " although byte_fallback is false");
        }
        if (unk < 0) throw spec.fail("no piece is of type UNKNOWN");
        float[] scores = new float[f.scores.size()];
        for (int i = 0; i < scores.length; i++) scores[i] = f.scores.get(i);
        return new SentencePieceVocab(f.pieces.toArray(String[]::new), scores, f.types.toArray(PieceType[]::new), unk,
                f.bosId < 0 ? OptionalInt.empty() : OptionalInt.of(f.bosId), f.eosId < 0 ? OptionalInt.empty() : OptionalInt.of(f.eosId),
                f.byteFallback, f.addDummyPrefix, f.removeExtraWhitespaces, f.escapeWhitespaces, f.unkSurface,
                config.flag("add_bos_token", true), config.flag("add_eos_token", false));
    }

    private static ProtoReader lengthDelimited(ProtoReader r, int tag) {
        r.expect(tag, ProtoReader.LEN);
        return r;
    }

    /** ModelProto.SentencePiece: piece (non-empty), score, type. */
    private static void piece(ProtoReader r, Fields f) {
        String piece = "";
        float score = 0;
        PieceType type = PieceType.NORMAL;
        while (r.more()) {
            int tag = r.tag();
            switch (ProtoReader.field(tag)) {
                case 1 -> piece = lengthDelimited(r, tag).string("piece");
                case 2 -> {
                    r.expect(tag, ProtoReader.I32);
                    score = Float.intBitsToFloat(r.fixed32());
                }
                case 3 -> {
                    long code = varint(r, tag);
                    type = PieceType.of(code);
                    if (type == null) throw r.fail("unknown piece type " + code);
                }
                default -> r.skip(ProtoReader.wireType(tag));
            }
        }
        if (piece.isEmpty()) throw r.fail("piece must not be empty");
        f.pieces.add(piece);
        f.scores.add(score);
        f.types.add(type);
    }

    private static void trainerSpec(ProtoReader r, Fields f) {
        while (r.more()) {
            int tag = r.tag();
            switch (ProtoReader.field(tag)) {
                case 3 -> f.modelType = varint(r, tag);
                case 24 -> f.suffixWhitespace = varint(r, tag) != 0;
                case 35 -> f.byteFallback = varint(r, tag) != 0;
                case 41 -> f.bosId = (int) varint(r, tag);
                case 42 -> f.eosId = (int) varint(r, tag);
                case 44 -> f.unkSurface = lengthDelimited(r, tag).string("unk_surface");
                default -> r.skip(ProtoReader.wireType(tag));
            }
        }
    }

    private static void normalizerSpec(ProtoReader r, Fields f) {
        while (r.more()) {
            int tag = r.tag();
            switch (ProtoReader.field(tag)) {
                case 1 -> f.normalizerName = lengthDelimited(r, tag).string("name");
                case 2 -> f.charsMap |= lengthDelimited(r, tag).bytes().length > 0;
                case 3 -> f.addDummyPrefix = varint(r, tag) != 0;
                case 4 -> f.removeExtraWhitespaces = varint(r, tag) != 0;
                case 5 -> f.escapeWhitespaces = varint(r, tag) != 0;
                default -> r.skip(ProtoReader.wireType(tag));
            }
        }
    }

    /** Only whether the denormalizer has rules matters: without them it changes nothing. */
    private static void denormalizerSpec(ProtoReader r, Fields f) {
        while (r.more()) {
            int tag = r.tag();
            if (ProtoReader.field(tag) == 2) f.denormalizerCharsMap |= lengthDelimited(r, tag).bytes().length > 0;
            else r.skip(ProtoReader.wireType(tag));
        }
    }

    private static long varint(ProtoReader r, int tag) {
        r.expect(tag, ProtoReader.VARINT);
        return r.varint();
    }
}
