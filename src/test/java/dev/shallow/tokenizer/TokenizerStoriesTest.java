package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** stories260K's sentencepiece-style tokenizer against the Hugging Face tokenizers goldens in ../shared/golden. */
class TokenizerStoriesTest {
    private static final Tokenizer TOK = Tokenizer.load(Shared.path("models/stories260K"));

    @TestFactory
    List<DynamicTest> tokenizerCases() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : Shared.json(Shared.path("golden/stories260K/inputs.json")).get("tokenizer_cases")) {
            String text = c.get("text").asText();
            tests.add(DynamicTest.dynamicTest(Shared.name(tests.size(), text), () -> {
                int[] ids = Shared.ints(c.get("ids"));
                assertArrayEquals(ids, TOK.encode(text, false), "ids");
                assertArrayEquals(Shared.ints(c.get("ids_with_bos")), TOK.encode(text, true), "ids with BOS");
                assertEquals(text, TOK.decode(ids, false), "decoded");
            }));
        }
        return tests;
    }

    @TestFactory
    List<DynamicTest> goldenSequencesWithText() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String model : List.of("stories260K", "stories-16L", "tiny-qwen2-random")) {
            for (JsonNode s : Shared.json(Shared.path("golden/" + model + "/inputs.json")).get("sequences")) {
                if (s.get("text").isNull()) continue;
                String text = s.get("text").asText();
                tests.add(DynamicTest.dynamicTest(model + ": " + text, () -> {
                    Tokenizer tok = Tokenizer.load(Shared.path("models/" + model));
                    assertArrayEquals(Shared.ints(s.get("ids")), tok.encode(text, true));
                }));
            }
        }
        return tests;
    }

    @Test
    void specialTokensInTextAreSplitOutAndEachSegmentGetsItsOwnPrefix() {
        int[] ids = TOK.encode("a<s>a", false);
        int[] a = TOK.encode("a", false);
        assertArrayEquals(new int[] {a[0], 1, a[0]}, ids);
        assertEquals("a<s> a", TOK.decode(ids, false));
        assertEquals("a a", TOK.decode(ids, true));
    }

    @Test
    void specialIdsAndVocab() {
        assertEquals(OptionalInt.of(1), TOK.bosId());
        assertEquals(OptionalInt.of(2), TOK.eosId());
        assertEquals(512, TOK.vocabSize());
        assertEquals("<0x41>", TOK.tokenText(3 + 0x41));
        assertEquals(OptionalInt.of(0), TOK.idOf("<unk>"));
        assertEquals(OptionalInt.empty(), TOK.idOf("no such token"));
        assertTrue(TOK.isSpecial(1));
        assertFalse(TOK.isSpecial(300));
    }

    @Test
    void heldOutStoriesRoundTrip() throws IOException {
        List<String> texts = heldOut();
        for (String text : texts) assertEquals(text, TOK.decode(TOK.encode(text, false), false));
        // also every prefix-free slice of a story, which starts mid-word
        for (String text : texts) {
            String slice = text.substring(text.length() / 3);
            assertEquals(slice, TOK.decode(TOK.encode(slice, true), true));
        }
    }

    static List<String> heldOut() throws IOException {
        List<String> texts = new ArrayList<>();
        for (String line : Files.readAllLines(Shared.path("data/stories260K-samples/heldout.jsonl"))) {
            if (!line.isBlank()) texts.add(Shared.json(line).get("text").asText());
        }
        return texts;
    }
}
