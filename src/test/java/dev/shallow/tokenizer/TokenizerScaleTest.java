package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Gemma's vocabulary size, 262,144 pieces, in both forms a checkpoint ships: a SentencePiece tokenizer.model and a
 * tokenizer.json, written here under target/ from one synthetic vocabulary: Llama's specials and byte pieces,
 * "▁" and the letters, then every "▁" + 1 to 3 letters and enough 4-letter words to fill it, each word one merge
 * longer than its prefix and scored below it. Both load, give the same ids (the merges of the JSON are exactly
 * the score order of the model), round-trip, and encode each word of the vocabulary as its single piece. No timing
 * is asserted; what would fail with a loop quadratic in the vocabulary is that the suite would not finish.
 */
class TokenizerScaleTest {
    private static final int SIZE = 262_144;
    private static final Path DIR = Path.of("target", "tokenizer-scale");
    private static final String LETTERS = "abcdefghijklmnopqrstuvwxyz";
    private static List<String> pieces;
    private static Tokenizer model;
    private static Tokenizer json;

    @BeforeAll
    static void writeBothForms() throws IOException {
        SentencePieceModelBuilder b = SentencePieceModelBuilder.bpe().llamaSpecials();
        pieces = new ArrayList<>();
        for (int id = 0; id < 259; id++) pieces.add(null);
        b.piece("▁", 0, PieceType.NORMAL);
        pieces.add("▁");
        for (char c : LETTERS.toCharArray()) {
            b.piece(String.valueOf(c), 0, PieceType.NORMAL);
            pieces.add(String.valueOf(c));
        }
        List<String> words = new ArrayList<>(List.of("▁"));
        ArrayNode merges = new ObjectMapper().createArrayNode();
        while (pieces.size() < SIZE) {
            List<String> longer = new ArrayList<>();
            for (String w : words) {
                for (char c : LETTERS.toCharArray()) {
                    if (pieces.size() == SIZE) break;
                    b.piece(w + c, -pieces.size(), PieceType.NORMAL);
                    merges.add(w + " " + c);
                    pieces.add(w + c);
                    longer.add(w + c);
                }
            }
            words = longer;
        }
        model = Tokenizer.load(b.write(DIR.resolve("tokenizer.model")));
        json = Tokenizer.load(writeJson(merges));
    }

    /** The same vocabulary as a tokenizer.json in the form of Llama 2's (stories260K's) file. */
    private static Path writeJson(ArrayNode merges) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = (ObjectNode) Shared.json(Shared.path("models/stories260K/tokenizer.json"));
        ObjectNode vocab = mapper.createObjectNode();
        vocab.put("<unk>", 0).put("<s>", 1).put("</s>", 2);
        for (int b = 0; b < 256; b++) vocab.put(Vocab.byteToken(b), 3 + b);
        for (int id = 259; id < SIZE; id++) vocab.put(pieces.get(id), id);
        ((ObjectNode) root.get("model")).set("vocab", vocab);
        ((ObjectNode) root.get("model")).set("merges", merges);
        Path file = DIR.resolve("json/tokenizer.json");
        file.getParent().toFile().mkdirs();
        mapper.writeValue(file.toFile(), root);
        return file;
    }

    @Test
    void bothFormsLoadAllPieces() {
        assertEquals(SIZE, model.vocabSize());
        assertEquals(SIZE, json.vocabSize());
        assertEquals("▁zzz", model.tokenText(259 + 27 + 26 + 26 * 26 + 26 * 26 * 26 - 1));
        assertEquals(pieces.get(SIZE - 1), json.tokenText(SIZE - 1));
    }

    @Test
    void everyWordOfTheVocabularyIsOnePiece() {
        for (int id = 259 + 27; id < SIZE; id += 97) {
            String word = pieces.get(id).substring(1);
            assertArrayEquals(new int[] {id}, model.encode(word, false), word);
            assertArrayEquals(new int[] {id}, json.encode(word, false), word);
        }
    }

    @Test
    void randomTextsAgreeAndRoundTrip() {
        Random random = new Random(262_144);
        String[] others = {"1", "2024", ",", ".", "!", "é", "日本", "🙂", "\n", "\t"};
        for (int t = 0; t < 300; t++) {
            StringBuilder text = new StringBuilder();
            for (int w = 0; w < 1 + random.nextInt(40); w++) {
                if (w > 0) text.append(random.nextInt(10) == 0 ? "  " : " ");
                if (random.nextInt(8) == 0) text.append(others[random.nextInt(others.length)]);
                for (int k = 0; k < 1 + random.nextInt(7); k++) text.append(LETTERS.charAt(random.nextInt(LETTERS.length())));
            }
            String s = text.toString();
            int[] ids = model.encode(s, true);
            assertArrayEquals(ids, json.encode(s, true), s);
            assertEquals(1, ids[0], "BOS");
            assertEquals(s, model.decode(ids, true));
            assertEquals(s, json.decode(ids, true));
        }
    }
}
