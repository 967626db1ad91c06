package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real SentencePiece tokenizers in ../shared/real against their goldens: Llama 2's tokenizer.model and
 * Mistral v0.3's tokenizer.model.v3 (SentencePiece 0.1.97's ids and decode), and Mistral's tokenizer.json
 * (Hugging Face tokenizers 0.23.2's ids and decode). Every text encodes to exactly the golden ids, with and
 * without BOS, and the golden ids decode to the golden text.
 */
class TokenizerSentencePieceTest {
    private static final Path LLAMA2 = Shared.path("real/llama2-tokenizer-model");
    private static final Path MISTRAL = Shared.path("real/mistral-7b-v0.3-tokenizer");

    @TestFactory
    List<DynamicContainer> goldens() {
        return List.of(
                DynamicContainer.dynamicContainer("llama2 tokenizer.model", cases(Tokenizer.load(LLAMA2), LLAMA2.resolve("golden-ids.json"))),
                DynamicContainer.dynamicContainer("mistral tokenizer.model.v3",
                        cases(Tokenizer.load(MISTRAL.resolve("tokenizer.model.v3")), MISTRAL.resolve("sentencepiece-ids.json"))),
                DynamicContainer.dynamicContainer("mistral tokenizer.json", cases(Tokenizer.load(MISTRAL), MISTRAL.resolve("golden-ids.json"))));
    }

    private static List<DynamicTest> cases(Tokenizer tok, Path goldens) {
        List<DynamicTest> tests = new ArrayList<>();
        JsonNode texts = Shared.json(MISTRAL.resolve("texts.json")).get("texts");
        JsonNode cases = Shared.json(goldens).get("cases");
        assertEquals(texts.size(), cases.size());
        for (int i = 0; i < cases.size(); i++) {
            JsonNode c = cases.get(i);
            String text = texts.get(i).asText();
            tests.add(DynamicTest.dynamicTest(Shared.name(i, text), () -> {
                assertEquals(text, c.get("text").asText());
                int[] ids = Shared.ints(c.get("ids"));
                assertArrayEquals(ids, tok.encode(text, false), "ids");
                assertArrayEquals(Shared.ints(c.get("ids_with_special")), tok.encode(text, true), "ids with BOS");
                for (int k = 0; k < ids.length; k++) assertEquals(c.get("tokens").get(k).asText(), tok.tokenText(ids[k]), "token " + k);
                assertEquals(c.get("decoded").asText(), tok.decode(ids, false), "decoded");
            }));
        }
        return tests;
    }

    /** Facts of PROVENANCE.md: 32,000 pieces, <unk> <s> </s> at 0-2, byte pieces at 3..258, BOS added, no EOS. */
    @Test
    void llama2Vocabulary() {
        Tokenizer tok = Tokenizer.load(LLAMA2);
        assertEquals(LLAMA2.resolve("tokenizer.model"), tok.file());
        assertEquals(32_000, tok.vocabSize());
        assertEquals(OptionalInt.of(1), tok.bosId());
        assertEquals(OptionalInt.of(2), tok.eosId());
        assertEquals("<unk>", tok.tokenText(0));
        assertEquals("<0x00>", tok.tokenText(3));
        assertEquals("<0xFF>", tok.tokenText(258));
        assertEquals("▁▁", tok.tokenText(259));
        assertTrue(tok.isSpecial(0) && tok.isSpecial(1) && tok.isSpecial(2));
        assertFalse(tok.isSpecial(3));
        // control pieces are plain characters in the text, and decode drops them
        assertArrayEquals(tok.encode("<s>", false), new int[] {tok.idOf("▁<").getAsInt(), tok.idOf("s").getAsInt(), tok.idOf(">").getAsInt()});
        assertEquals("Hello", tok.decode(new int[] {1, tok.idOf("▁Hello").getAsInt(), 2}, false));
    }

    /** Mistral: 32,768 pieces, the 770 CONTROL pieces (ids 1..770) special, bytes at 771..1026. */
    @Test
    void mistralSentencePieceVocabulary() {
        Tokenizer tok = Tokenizer.load(MISTRAL.resolve("tokenizer.model.v3"));
        assertEquals(32_768, tok.vocabSize());
        assertEquals("[INST]", tok.tokenText(3));
        assertEquals("<0x00>", tok.tokenText(771));
        int special = 0;
        for (int id = 0; id < tok.vocabSize(); id++) if (tok.isSpecial(id)) special++;
        assertEquals(771, special);
    }
}
