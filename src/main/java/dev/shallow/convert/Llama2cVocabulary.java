package dev.shallow.convert;

import dev.shallow.ShallowException;
import dev.shallow.io.InputFiles;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The pieces and merge scores of a llama2.c tokenizer file ({@code tokenizer.py} export, read by
 * run.c {@code build_tokenizer}): int32 max_token_length, then per token f32 score, int32 length,
 * UTF-8 bytes. Pieces are returned in sentencepiece spelling: spaces as "▁", and the llama2.c
 * spellings "\n&lt;s&gt;\n", "\n&lt;/s&gt;\n" of ids 1 and 2 as "&lt;s&gt;", "&lt;/s&gt;".
 */
record Llama2cVocabulary(List<String> pieces, float[] scores) {
    static final String SPACE = "\u2581";
    /** Ids 0..2 as llama2.c stores them, and the names they have in sentencepiece. */
    private static final String[] STORED_SPECIALS = {"<unk>", "\n<s>\n", "\n</s>\n"};
    static final String[] SPECIALS = {"<unk>", "<s>", "</s>"};
    /** Byte-fallback tokens &lt;0x00&gt;..&lt;0xFF&gt; follow the specials, at ids 3..258. */
    static final int FIRST_BYTE_TOKEN = 3;
    static final int FIRST_NORMAL_TOKEN = FIRST_BYTE_TOKEN + 256;

    /** Reads {@code size} tokens (the model's vocab_size); the file must hold exactly that many. */
    static Llama2cVocabulary read(Path file, int size) {
        ByteBuffer b = ByteBuffer.wrap(InputFiles.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<String> pieces = new ArrayList<>(size);
        float[] scores = new float[size];
        int maxLength;
        try {
            maxLength = b.getInt();
            if (maxLength <= 0) throw ShallowException.at(file, "max_token_length " + maxLength + " is not positive");
            for (int id = 0; id < size; id++) {
                scores[id] = b.getFloat();
                int length = b.getInt();
                if (length < 1 || length > maxLength) {
                    throw ShallowException.at(file, "token " + id + " has length " + length + ", not in 1.." + maxLength + " (max_token_length)");
                }
                byte[] utf8 = new byte[length];
                b.get(utf8);
                pieces.add(piece(file, id, utf8));
            }
        } catch (BufferUnderflowException e) {
            throw ShallowException.at(file, "ends inside token " + pieces.size() + " of the " + size
                    + " the model's vocab_size asks for (truncated, or a tokenizer for another model?)");
        }
        if (b.hasRemaining()) {
            throw ShallowException.at(file, "has " + b.remaining() + " bytes after the " + size
                    + " tokens the model's vocab_size asks for (a tokenizer for another model?)");
        }
        checkSentencepieceLayout(file, pieces);
        return new Llama2cVocabulary(List.copyOf(pieces), scores);
    }

    private static String piece(Path file, int id, byte[] utf8) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(utf8)).toString();
        } catch (CharacterCodingException e) {
            throw ShallowException.at(file, "token " + id + " is not valid UTF-8");
        }
        return id < STORED_SPECIALS.length && text.equals(STORED_SPECIALS[id]) ? SPECIALS[id] : text.replace(" ", SPACE);
    }

    /** Llama 2's layout, which tokenizer.json's ids rely on: &lt;unk&gt; &lt;s&gt; &lt;/s&gt;, 256 byte tokens, then unique pieces. */
    private static void checkSentencepieceLayout(Path file, List<String> pieces) {
        if (pieces.size() < FIRST_NORMAL_TOKEN) throw ShallowException.at(file, "has " + pieces.size() + " tokens, fewer than the 259 specials and byte tokens");
        for (int id = 0; id < FIRST_NORMAL_TOKEN; id++) {
            String want = id < FIRST_BYTE_TOKEN ? SPECIALS[id] : String.format("<0x%02X>", id - FIRST_BYTE_TOKEN);
            if (!pieces.get(id).equals(want)) {
                throw ShallowException.at(file, "token " + id + " is '" + pieces.get(id).replace("\n", "\\n") + "', expected '" + want
                        + "' (sentencepiece byte-fallback layout: <unk> <s> </s>, then <0x00>..<0xFF>)");
            }
        }
        Set<String> seen = new HashSet<>();
        for (int id = 0; id < pieces.size(); id++) {
            if (!seen.add(pieces.get(id))) throw ShallowException.at(file, "token " + id + " '" + pieces.get(id) + "' appears twice");
        }
    }
}
