package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A tokenizers decoder (decoders/*.rs): turns the tokens of ids back into text pieces, which are then joined. */
interface Decoder {

    List<String> decodeChain(List<String> tokens);

    /** The decoder a tokenizer.json "decoder" object describes. */
    static Decoder from(JsonNode node, Spec spec) {
        String type = spec.type(node, "decoder");
        return switch (type) {
            case "Sequence" -> new Chain(spec.components(node, "decoders", "decoder Sequence", Decoder::from));
            case "Replace" -> new Replace(spec.pattern(node, "decoder Replace"), spec.text(node, "content", "decoder Replace"));
            case "ByteFallback" -> new ByteFallback();
            case "Fuse" -> new Fuse();
            case "Strip" -> new Strip(spec.text(node, "content", "decoder Strip").codePointAt(0),
                    spec.integer(node, "start", "decoder Strip"), spec.integer(node, "stop", "decoder Strip"));
            case "Metaspace" -> new Metaspace(spec.text(node, "replacement", "decoder Metaspace", "\u2581"),
                    !PreTokenizer.Metaspace.prependScheme(node, spec, "decoder Metaspace").equals("never"));
            case "ByteLevel" -> new ByteLevel(Set.of());
            default -> throw spec.unknown("decoder", type);
        };
    }

    /** decoders::Sequence. */
    record Chain(List<Decoder> parts) implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            for (Decoder d : parts) tokens = d.decodeChain(tokens);
            return tokens;
        }
    }

    /** normalizers::Replace used as a decoder, token by token. */
    record Replace(Pattern pattern, String content) implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            return tokens.stream().map(t -> pattern.matcher(t).replaceAll(Matcher.quoteReplacement(content))).toList();
        }
    }

    /** decoders::ByteFallback: runs of {@code <0xNN>} tokens become their UTF-8 text, or one U+FFFD per byte if invalid. */
    record ByteFallback() implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (String t : tokens) {
                boolean isByte = t.length() == 6 && t.startsWith("<0x") && t.endsWith(">")
                        && Character.digit(t.charAt(3), 16) >= 0 && Character.digit(t.charAt(4), 16) >= 0;
                if (isByte) {
                    bytes.write(Integer.parseInt(t.substring(3, 5), 16));
                } else {
                    flush(bytes, out);
                    out.add(t);
                }
            }
            flush(bytes, out);
            return out;
        }

        private static void flush(ByteArrayOutputStream bytes, List<String> out) {
            if (bytes.size() == 0) return;
            try {
                out.add(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes.toByteArray())).toString());
            } catch (CharacterCodingException e) {
                for (int i = 0; i < bytes.size(); i++) out.add("\uFFFD");
            }
            bytes.reset();
        }
    }

    /** decoders::Fuse: all tokens into one. */
    record Fuse() implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            return List.of(String.join("", tokens));
        }
    }

    /** decoders::Strip: up to {@code start} leading and {@code stop} trailing {@code content} characters off each token. */
    record Strip(int content, int start, int stop) implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            return tokens.stream().map(this::strip).toList();
        }

        private String strip(String token) {
            int[] cps = token.codePoints().toArray();
            int from = 0, to = cps.length;
            while (from < start && from < cps.length && cps[from] == content) from++;
            while (cps.length - to < stop && to > from && cps[to - 1] == content) to--;
            return new String(cps, from, to - from);
        }
    }

    /** decoders::Metaspace: the replacement becomes a space, and is dropped in the first token when a prefix was prepended. */
    record Metaspace(String replacement, boolean prepended) implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < tokens.size(); i++) out.add(tokens.get(i).replace(replacement, i == 0 && prepended ? "" : " "));
            return out;
        }
    }

    /**
     * decoders::ByteLevel: stand-in characters back to bytes (a token with other characters keeps its own UTF-8),
     * lossy UTF-8. {@code verbatim} tokens keep their own UTF-8 as well: llama.cpp's token_to_piece writes the
     * text of CONTROL and USER_DEFINED tokens of a GGUF vocabulary as it is (llama-vocab.cpp).
     */
    record ByteLevel(Set<String> verbatim) implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (String t : tokens) {
                byte[] own = new byte[t.length()];
                boolean allStandIns = !verbatim.contains(t);
                for (int i = 0; i < t.length() && allStandIns; i++) {
                    int b = ByteLevelTable.byteOf(t.charAt(i));
                    allStandIns = b >= 0;
                    own[i] = (byte) b;
                }
                bytes.writeBytes(allStandIns ? own : t.getBytes(StandardCharsets.UTF_8));
            }
            return List.of(bytes.toString(StandardCharsets.UTF_8));
        }
    }

    /**
     * SentencePiece's decoding (sentencepiece_processor.cc SentencePieceProcessor::Decode): CONTROL pieces vanish,
     * UNKNOWN pieces become the unk surface, runs of BYTE pieces become their UTF-8 text (one U+FFFD per byte that
     * does not start a valid character), U+2581 becomes a space, and the first piece's leading U+2581 is dropped
     * when the normalizer adds a dummy prefix or removes extra whitespace (all leading ones for the latter).
     * {@code reserved} holds the type of every CONTROL, UNKNOWN and BYTE piece.
     */
    record SentencePiece(Map<String, PieceType> reserved, String unkSurface, boolean dummyPrefix, boolean removeExtraWhitespaces)
            implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            StringBuilder text = new StringBuilder();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            boolean atStart = true;
            boolean startSpaceSeen = false;
            for (String t : tokens) {
                PieceType type = reserved.get(t);
                if (type == PieceType.BYTE) {
                    bytes.write(Integer.parseInt(t.substring(3, 5), 16));
                    continue;
                }
                appendUtf8(bytes, text);
                if (startSpaceSeen || !text.isEmpty()) atStart = false;
                startSpaceSeen = false;
                if (type == PieceType.CONTROL) continue;
                if (type == PieceType.UNKNOWN) {
                    text.append(unkSurface);
                    continue;
                }
                String piece = t;
                if (atStart && (dummyPrefix || removeExtraWhitespaces) && piece.startsWith(Normalizer.SentencePiece.SPACE_SYMBOL)) {
                    piece = piece.substring(Normalizer.SentencePiece.SPACE_SYMBOL.length());
                    startSpaceSeen = !removeExtraWhitespaces;
                }
                text.append(piece.replace(Normalizer.SentencePiece.SPACE_SYMBOL, " "));
            }
            appendUtf8(bytes, text);
            return List.of(text.toString());
        }

        /** The buffered bytes as text, character by character as util.cc DecodeUTF8 reads them; then the buffer is emptied. */
        private static void appendUtf8(ByteArrayOutputStream buffer, StringBuilder out) {
            byte[] b = buffer.toByteArray();
            buffer.reset();
            for (int i = 0; i < b.length; ) {
                int length = validUtf8Length(b, i);
                if (length == 0) {
                    out.append('\uFFFD');
                    i++;
                } else {
                    out.append(new String(b, i, length, StandardCharsets.UTF_8));
                    i += length;
                }
            }
        }

        /** The length of the well-formed UTF-8 character at {@code i} (shortest form, no surrogates, at most U+10FFFF), or 0. */
        private static int validUtf8Length(byte[] b, int i) {
            int lead = b[i] & 0xFF;
            if (lead < 0x80) return 1;
            int length = (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 0;
            if (length == 0 || i + length > b.length) return 0;
            int cp = lead & (0xFF >> (length + 1));
            for (int k = 1; k < length; k++) {
                if ((b[i + k] & 0xC0) != 0x80) return 0;
                cp = cp << 6 | (b[i + k] & 0x3F);
            }
            int min = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
            boolean valid = cp >= min && (cp < 0xD800 || cp >= 0xE000 && cp <= 0x10FFFF);
            return valid ? length : 0;
        }
    }
}
