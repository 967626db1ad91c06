package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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
            case "ByteLevel" -> new ByteLevel();
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

    /** decoders::ByteLevel: stand-in characters back to bytes (a token with other characters keeps its own UTF-8), lossy UTF-8. */
    record ByteLevel() implements Decoder {
        public List<String> decodeChain(List<String> tokens) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (String t : tokens) {
                byte[] own = new byte[t.length()];
                boolean allStandIns = true;
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
}
