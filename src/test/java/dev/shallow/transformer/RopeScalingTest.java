package dev.shallow.transformer;

import dev.shallow.RefLlama;
import dev.shallow.Shared;
import dev.shallow.model.Model;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * rope_scaling "llama3" and "linear" against the independent reference on stories-16L with the
 * scaling added to its config. With original_max_position_embeddings 256 and head_dim 32 the
 * wavelengths 2 pi / f fall below 64, between 64 and 256, and above 256: all three llama3 regimes.
 */
class RopeScalingTest {
    @ParameterizedTest
    @ValueSource(strings = {
            "{\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 256}",
            "{\"type\": \"linear\", \"factor\": 2.0}"})
    void scaledRopeMatchesReference(String scaling, @TempDir Path tmp) throws Exception {
        Path dir = Shared.copyModel(Shared.model("stories-16L"), tmp.resolve("m"));
        Path config = dir.resolve("config.json");
        String text = Files.readString(config);
        Files.writeString(config, text.substring(0, text.lastIndexOf('}')) + ", \"rope_scaling\": " + scaling + "}");
        int[] ids = new int[80];
        for (int i = 0; i < ids.length; i++) ids[i] = 3 + (i * 37) % 500;
        try (Model model = Model.load(dir)) {
            Transformer tf = new Transformer(model);
            float[] got = tf.forward(ids, tf.newCache(ids.length), true);
            float[] want = RefLlama.logits(dir, ids, null);
            float[] plain = RefLlama.logits(Shared.model("stories-16L"), ids, null);
            double changed = 0;
            for (int i = 0; i < got.length; i++) {
                assertEquals(want[i], got[i], 1e-4, "logit " + i);
                changed = Math.max(changed, Math.abs(want[i] - plain[i]));
            }
            assertEquals(true, changed > 1e-2, "the scaling must matter for this test to mean anything: " + changed);
        }
    }
}
