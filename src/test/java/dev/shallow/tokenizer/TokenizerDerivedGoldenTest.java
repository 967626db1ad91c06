package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Tokenizer forms with no golden in ../shared, derived from the files there by
 * src/test/resources/tokenizer/NAME.patch.json, against the goldens make-goldens.js wrote with Hugging
 * Face tokenizers 0.23.2: Llama-3- and Qwen2-style byte-level BPE (Split regex + ByteLevel, ignore_merges,
 * NFC, extra added tokens with lstrip / single_word / normalized) from GPT-2's, and Metaspace
 * pre-tokenizers and decoders (prepend_scheme first / always / never) from stories260K's.
 */
class TokenizerDerivedGoldenTest {
    private static final List<String> VARIANTS = List.of("llama3-style", "qwen2-style", "metaspace-first", "metaspace-always", "metaspace-never");

    @TestFactory
    List<DynamicContainer> derivedTokenizers() throws IOException {
        List<DynamicContainer> all = new ArrayList<>();
        for (String name : VARIANTS) all.add(DynamicContainer.dynamicContainer(name, cases(name)));
        return all;
    }

    private static List<DynamicTest> cases(String name) throws IOException {
        Tokenizer tok = Tokenizer.load(derive(name));
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : resource(name + ".goldens.json").get("cases")) {
            String text = c.get("text").asText();
            tests.add(DynamicTest.dynamicTest(Shared.name(tests.size(), text), () -> {
                int[] ids = Shared.ints(c.get("ids"));
                int[] withSpecial = Shared.ints(c.get("ids_with_special"));
                assertArrayEquals(ids, tok.encode(text, false), "ids");
                assertArrayEquals(withSpecial, tok.encode(text, true), "ids with special tokens");
                assertEquals(c.get("decoded").asText(), tok.decode(ids, false), "decoded");
                assertEquals(c.get("decoded_skip_special").asText(), tok.decode(withSpecial, true), "decoded, special skipped");
            }));
        }
        return tests;
    }

    /** The patch's base tokenizer.json with the patch applied (as make-goldens.js does), written to a temporary file. */
    private static Path derive(String name) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        JsonNode patch = resource(name + ".patch.json");
        ObjectNode t = (ObjectNode) Shared.json(Shared.path(patch.get("base").asText()));
        t.setAll((ObjectNode) patch.get("set"));
        ((ObjectNode) t.get("model")).setAll((ObjectNode) patch.get("model"));
        ((ArrayNode) t.get("added_tokens")).addAll((ArrayNode) patch.get("added_tokens"));
        Path dir = Files.createTempDirectory("shallow-" + name);
        dir.toFile().deleteOnExit();
        Path file = dir.resolve("tokenizer.json");
        mapper.writeValue(file.toFile(), t);
        file.toFile().deleteOnExit();
        return file;
    }

    private static JsonNode resource(String name) throws IOException {
        try (InputStream in = TokenizerDerivedGoldenTest.class.getResourceAsStream("/tokenizer/" + name)) {
            if (in == null) throw new IOException("missing test resource tokenizer/" + name);
            return new ObjectMapper().readTree(in);
        }
    }
}
