package dev.shallow.transformer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.Shared;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.RopeSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Phi-3's longrope (transformers' _compute_longrope_parameters and longrope_frequency_update): frequency i is
 * 1 / (ext_i theta^(2i/d)) with ext the long factors when the sequence reaches past original_max_position_embeddings
 * and the short ones otherwise; cos and sin are scaled by the attention factor, sqrt(1 + ln(f) / ln(original)) with
 * f = max_position_embeddings / original unless given. Checked on tiny-phi3-random against linear scaling, which
 * the Gemma 3 golden checks: uniform factors equal linear scaling by that factor, and the switch happens at the
 * original length.
 */
class LongRopeTest {
    @TempDir
    Path tmp;

    private final ObjectMapper json = new ObjectMapper();

    /** tiny-phi3-random with rope_scaling {@code scaling} and the given original context. */
    private Path phi3(String name, ObjectNode scaling, int original) throws IOException {
        Path dir = Shared.copyModel(Shared.model("tiny-phi3-random"), tmp.resolve(name));
        ObjectNode c = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        c.set("rope_scaling", scaling);
        c.put("original_max_position_embeddings", original);
        json.writeValue(dir.resolve("config.json").toFile(), c);
        return dir;
    }

    private ObjectNode longrope(double shortFactor, double longFactor, Double attention) {
        ObjectNode s = json.createObjectNode().put("type", "longrope");
        ArrayNode sf = s.putArray("short_factor"), lf = s.putArray("long_factor");
        for (int i = 0; i < 12; i++) { // rotary dims 24 of head_dim 32: 12 pairs
            sf.add(shortFactor);
            lf.add(longFactor);
        }
        if (attention != null) s.put("attention_factor", attention);
        return s;
    }

    private ObjectNode linear(double factor) {
        return json.createObjectNode().put("rope_type", "linear").put("factor", factor);
    }

    private float[] logits(Path dir, int[] ids) {
        try (Model m = Model.load(dir)) {
            Transformer tf = new Transformer(m);
            return tf.forward(ids, tf.newCache(ids.length), true);
        }
    }

    @Test
    void attentionFactorAndFrequenciesFollowTheFormula() throws IOException {
        ModelConfig c = ModelConfig.load(phi3("formula", longrope(2.0, 5.0, null), 256));
        RopeSpec.Scaling s = c.ropes().getFirst().scaling();
        double f = 4096.0 / 256; // max_position_embeddings / original
        assertEquals(Math.sqrt(1 + Math.log(f) / Math.log(256)), s.attentionFactor(), 1e-15);
        Rope rope = new Rope(c.ropes().getFirst());
        double[] freq = rope.inverseFrequencies(false);
        for (int i = 0; i < 12; i++) assertEquals(1 / (2.0 * Math.pow(10000, 2.0 * i / 24)), freq[i], 1e-15 * freq[i]);
        assertFalse(rope.isLong(256));
        assertTrue(rope.isLong(257));
    }

    @Test
    void shortAndLongFactorsSwitchAtTheOriginalLength() throws IOException {
        int[] shortIds = new int[16], longIds = new int[40];
        for (int i = 0; i < longIds.length; i++) longIds[i] = 3 + (i * 37) % 500;
        System.arraycopy(longIds, 0, shortIds, 0, shortIds.length);
        Path longrope = phi3("longrope", longrope(2.0, 3.0, 1.0), 16);
        assertArrayEquals(logits(phi3("linear2", linear(2.0), 16), shortIds), logits(longrope, shortIds), "16 tokens: short factors");
        assertArrayEquals(logits(phi3("linear3", linear(3.0), 16), longIds), logits(longrope, longIds), "40 tokens: long factors");
    }

    @Test
    void missingFactorsAreRefused() throws IOException {
        ObjectNode bad = json.createObjectNode().put("type", "longrope");
        bad.putArray("short_factor").add(1.0);
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(dev.shallow.ShallowException.class,
                () -> ModelConfig.load(phi3("bad", bad, 16)));
        assertTrue(e.getMessage().contains("rope_scaling short_factor must be a list of 12 numbers"), e.getMessage());
    }
}
