package dev.shallow.transformer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.Shared;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * transformers v5 writes Gemma 3's RoPE as {@code rope_parameters: {full_attention: {...}, sliding_attention: {...}}}
 * instead of rope_theta, rope_scaling and rope_local_base_freq: the same tiny-gemma3-random in that form is the same model.
 */
class RopeParametersTest {
    @Test
    void v5RopeParametersReadAsTheClassicKeys(@TempDir Path tmp) throws IOException {
        Path dir = Shared.copyModel(Shared.model("tiny-gemma3-random"), tmp.resolve("m"));
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        ObjectNode params = c.putObject("rope_parameters");
        params.putObject("full_attention").put("rope_type", "linear").put("factor", 8.0).put("rope_theta", 1e6);
        params.putObject("sliding_attention").put("rope_type", "default").put("rope_theta", 1e4);
        c.remove(java.util.List.of("rope_theta", "rope_scaling", "rope_local_base_freq"));
        json.writeValue(dir.resolve("config.json").toFile(), c);
        assertEquals(ModelConfig.load(Shared.model("tiny-gemma3-random")), ModelConfig.load(dir));
        int[] ids = {1, 403, 407, 261, 378, 9, 200, 300, 11, 12, 13, 14, 15};
        try (Model a = Model.load(Shared.model("tiny-gemma3-random")); Model b = Model.load(dir)) {
            Transformer ta = new Transformer(a), tb = new Transformer(b);
            assertArrayEquals(ta.forward(ids, ta.newCache(ids.length), true), tb.forward(ids, tb.newCache(ids.length), true));
        }
    }
}
