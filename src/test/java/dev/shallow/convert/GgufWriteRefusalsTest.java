package dev.shallow.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.io.GgmlType;
import dev.shallow.io.GgufFile;
import dev.shallow.io.GgufWriter;
import dev.shallow.io.HfToGguf;
import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.family.Families;
import dev.shallow.model.family.Family;
import dev.shallow.prune.Layers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What llama.cpp's gemma2, gemma3, phi3 and phi2 cannot express is refused before anything is written, in one line naming
 * config.json and the key; what it can express after pruning is written with the keys that say it.
 */
class GgufWriteRefusalsTest {
    @TempDir
    Path tmp;

    /** {@code model} (its llama.cpp-expressible form for Gemma) with config key {@code key} set to the JSON {@code value}. */
    private Path edited(String model, String key, String value) throws IOException {
        Path dir = model.contains("gemma") ? HfToGguf.expressible(Shared.model(model), tmp.resolve(model)) : Shared.copyModel(Shared.model(model), tmp.resolve(model.replace("phi3", "p3"))); // a phi3 name: GgufExporter.checkPhi3Tokens
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        if (key != null) c.set(key, json.readTree(value));
        json.writeValue(dir.resolve("config.json").toFile(), c);
        return dir;
    }

    private void assertRefused(Path dir, int[] kept, String... parts) {
        Path out = tmp.resolve("out.gguf");
        ShallowException e = assertThrows(ShallowException.class, () -> GgufExporter.write(dir, out, new GgufExporter.Options(GgmlType.F32, false), kept, null));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
        for (String p : parts) assertTrue(e.getMessage().contains(p), e.getMessage() + " should say " + p);
        assertFalse(Files.exists(out), "nothing written");
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "tiny-gemma2-random; query_pre_attn_scalar; 24; query_pre_attn_scalar 24",
            "tiny-gemma2-random; tie_word_embeddings; false; tie_word_embeddings false",
            "tiny-gemma2-random; attention_bias; true; attention_bias true",
            "tiny-gemma3-random; attn_logit_softcapping; 50.0; attn_logit_softcapping 50",
            "tiny-phi-random; qk_layernorm; true; qk_layernorm true",
            "tiny-phi3-random; rope_scaling; '{\"type\": \"longrope\", \"short_factor\": [1,1,1,1,1,1,1,1,1,1,1,1], \"long_factor\": [2,2,2,2,2,2,2,2,2,2,2,2], \"original_max_position_embeddings\": 1024}'; rope_scaling longrope"})
    void unexpressibleConfigsAreRefused(String model, String key, String value, String message) throws IOException {
        assertRefused(edited(model, key, value), null, message);
    }

    /**
     * Gemma's sliding layers after pruning: llama.cpp has only "layer i slides iff i % p < p - 1"; removing one layer of
     * tiny-gemma2-random's alternation is refused naming layer_types and what would work; removing a whole period keeps p = 2.
     */
    @Test
    void gemmaSlidingPatternMustStayPeriodic() throws IOException {
        Path dir = edited("tiny-gemma2-random", null, null);
        assertRefused(dir, Layers.kept(new int[]{3}, 10), "layer_types SFSSFSFSF", "remove whole periods of 2 layers");
        Path out = tmp.resolve("periods.gguf");
        GgufExporter.write(dir, out, new GgufExporter.Options(GgmlType.F32, false), Layers.kept(new int[]{2, 3}, 10), null);
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(8, f.metadata().longValue("gemma2.block_count"));
            assertFalse(f.metadata().has("gemma2.attention.sliding_window_pattern"), "the default period 2 is not written");
            assertEquals(8, f.metadata().longValue("gemma2.attention.sliding_window"));
        }
    }

    /** A period other than the default is written: tiny-gemma3-random keeping layers 0, 1, 5 (sliding, sliding, full) is period 3, and reads back so. */
    @Test
    void gemma3OtherPeriodIsWritten() throws IOException {
        Path dir = edited("tiny-gemma3-random", null, null);
        Path out = tmp.resolve("three.gguf");
        GgufExporter.write(dir, out, new GgufExporter.Options(GgmlType.F32, false), new int[]{0, 1, 5}, null); // S S F: period 3
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(3, f.metadata().longValue("gemma3.attention.sliding_window_pattern"));
        }
        try (dev.shallow.model.Model m = dev.shallow.model.Model.load(out)) {
            ModelConfig want = ModelConfig.load(dir).keep(new int[]{0, 1, 5});
            assertEquals(want.layerTypes(), m.config().layerTypes());
        }
    }

    /**
     * The attention scale llama.cpp computes depends on block_count: at 46 layers gemma2 uses 1/sqrt(hidden / heads), so a
     * model pruned to 46 layers whose scale is 1/sqrt(head_dim) (here hidden / heads 24, head_dim 32) is refused.
     */
    @Test
    void gemma2At46LayersIsRefused() {
        ModelConfig c = ModelConfig.load(HfToGguf.expressible(Shared.model("tiny-gemma2-random"), tmp.resolve("g")));
        List<LayerType> types = new ArrayList<>();
        for (int i = 0; i < 46; i++) types.add(c.layerType(i % 2));
        ModelConfig at46 = new ModelConfig.Builder(c).layers(types).build();
        Family f = Families.of(c);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.writeGgufKeys(at46, new GgufWriter.Metadata()));
        assertTrue(e.getMessage().contains("query_pre_attn_scalar 32") && e.getMessage().contains("46 layers"), e.getMessage());
        f.writeGgufKeys(c, new GgufWriter.Metadata()); // 10 layers: head_dim, as this model
    }

    /** A Gemma 2 soft-cap of none cannot be written: llama.cpp's gemma2 always applies both. */
    @Test
    void gemma2WithoutSoftcapIsRefused() {
        ModelConfig c = ModelConfig.load(HfToGguf.expressible(Shared.model("tiny-gemma2-random"), tmp.resolve("g")));
        ModelConfig.Builder b = new ModelConfig.Builder(c);
        b.attnSoftcap = 0;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Families.of(c).writeGgufKeys(b.build(), new GgufWriter.Metadata()));
        assertTrue(e.getMessage().startsWith("attn_logit_softcapping null"), e.getMessage());
    }

    /**
     * Pruning a Gemma 3 GGUF copies its keys: removing a whole period (6-11) gives the pruned model, while keeping layers 0, 1, 5
     * (period 3, which needs attention.sliding_window_pattern 3) is refused naming that key, nothing written.
     */
    @Test
    void gemmaGgufPruningKeepsThePeriod() {
        Path hf = HfToGguf.expressible(Shared.model("tiny-gemma3-random"), tmp.resolve("g3"));
        Path gguf = tmp.resolve("g3.gguf"), whole = tmp.resolve("whole.gguf"), other = tmp.resolve("other.gguf");
        GgufExporter.write(hf, gguf, new GgufExporter.Options(GgmlType.F32, false), null, null);
        GgufRewriter.write(gguf, whole, null, new int[]{0, 1, 2, 3, 4, 5}, null);
        try (dev.shallow.model.Model m = dev.shallow.model.Model.load(whole); dev.shallow.model.Model g = dev.shallow.model.Model.load(gguf)) {
            assertEquals(g.config().keep(new int[]{0, 1, 2, 3, 4, 5}), m.config());
        }
        ShallowException e = assertThrows(ShallowException.class, () -> GgufRewriter.write(gguf, other, null, new int[]{0, 1, 5}, null));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().contains("'gemma3.attention.sliding_window_pattern' added"), e.getMessage());
        assertFalse(Files.exists(other), "nothing written");
    }
}
