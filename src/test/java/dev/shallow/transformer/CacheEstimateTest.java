package dev.shallow.transformer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.model.Model;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A KV cache larger than the JVM may hold is refused up front with its size, never an out-of-memory error later. */
class CacheEstimateTest {
    @Test
    void aCacheBeyondTheHeapIsRefusedWithItsEstimate(@TempDir Path tmp) throws IOException {
        Path dir = Shared.copyModel(Shared.model("stories260K"), tmp.resolve("m"));
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        c.put("max_position_embeddings", 1 << 30); // 5 layers x 2^30 positions x 32 x 2 floats = 1280 GiB
        json.writeValue(dir.resolve("config.json").toFile(), c);
        try (Model m = Model.load(dir)) {
            Transformer tf = new Transformer(m);
            ShallowException e = assertThrows(ShallowException.class, () -> tf.newCache(1 << 30));
            assertTrue(e.getMessage().startsWith("a KV cache of 1073741824 positions over 5 layers needs 1280.0 GiB"), e.getMessage());
            tf.newCache(4096); // a usable size still works
        }
    }
}
