package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** GPT-2's byte-level BPE against ../shared/golden/tokenizers/gpt2-cases.json (Hugging Face tokenizers 0.23.2). */
class TokenizerGpt2Test {
    private static final Tokenizer TOK = Tokenizer.load(Shared.path("golden/tokenizers/gpt2-tokenizer.json"));

    @TestFactory
    List<DynamicTest> gpt2Cases() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : Shared.json(Shared.path("golden/tokenizers/gpt2-cases.json")).get("cases")) {
            String text = c.get("text").asText();
            tests.add(DynamicTest.dynamicTest(Shared.name(tests.size(), text), () -> {
                int[] ids = Shared.ints(c.get("ids"));
                assertArrayEquals(ids, TOK.encode(text, false), "ids");
                assertArrayEquals(Shared.ints(c.get("ids_with_special")), TOK.encode(text, true), "ids with special tokens");
                assertEquals(c.get("decoded").asText(), TOK.decode(ids, false), "decoded");
            }));
        }
        return tests;
    }

    @Test
    void endOfTextIsAnAddedSpecialToken() {
        assertArrayEquals(new int[] {15496, 50256, 995}, TOK.encode("Hello<|endoftext|> world", false));
        assertEquals("Hello world", TOK.decode(new int[] {15496, 50256, 995}, true));
        assertEquals(OptionalInt.of(50256), TOK.eosId());
        assertEquals(50257, TOK.vocabSize());
    }
}
