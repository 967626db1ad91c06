package dev.shallow.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** tie_word_embeddings true ties the head to the embeddings even when lm_head.weight is stored, as Hugging Face does. */
class TiedHeadTest {
    @Test
    void tiedConfigIgnoresAStoredHead(@TempDir Path tmp) throws IOException {
        Path dir = Shared.copyModel(Shared.model("tiny-phi3-random"), tmp.resolve("m"));
        try (Model untied = Model.load(dir)) {
            assertNotSame(untied.embed(), untied.lmHead());
            assertTrue(untied.checkpoint().has("lm_head.weight"));
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        c.put("tie_word_embeddings", true);
        json.writeValue(dir.resolve("config.json").toFile(), c);
        try (Model tied = Model.load(dir)) {
            assertSame(tied.embed(), tied.lmHead(), "the embeddings are the head");
        }
    }
}
