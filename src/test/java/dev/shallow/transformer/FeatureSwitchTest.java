package dev.shallow.transformer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.Shared;
import dev.shallow.io.SafetensorsFile;
import dev.shallow.model.Activation;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.NormKind;
import dev.shallow.tensor.Tensor;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each family feature the goldens exercise, switched off through config.json, moves the logits far outside
 * {@link GoldenForwardTest}'s tolerance: so that test fails whenever one of these features is dropped or
 * misread; features a family always has are switched off in the loaded config ({@link Model#load(Path, UnaryOperator)}).
 */
class FeatureSwitchTest {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}: {1} = {2}")
    @CsvSource(delimiter = ';', value = {
            "tiny-gemma2-random; attn_logit_softcapping; null",
            "tiny-gemma2-random; final_logit_softcapping; null",
            "tiny-gemma2-random; sliding_window; 4096",
            "tiny-gemma2-random; query_pre_attn_scalar; 32",
            "tiny-gemma3-random; sliding_window; 4096",
            "tiny-gemma3-random; sliding_window; 9",
            "tiny-gemma3-random; rope_local_base_freq; 1000000.0",
            "tiny-gemma3-random; rope_scaling; null",
            "tiny-gemma3-random; query_pre_attn_scalar; 48",
            "tiny-phi3-random; partial_rotary_factor; 1.0",
            "tiny-phi-random; partial_rotary_factor; 1.0",
            "tiny-smollm3-random; no_rope_layers; [1,1,1,1,1,1,1,1,1,1,1,1]",
            "tiny-mistral-random; sliding_window; null",
            "tiny-mistral-random; sliding_window; 9",
            "tiny-qwen2-swa-random; use_sliding_window; false",
            "tiny-qwen2-swa-random; max_window_layers; 10",
    })
    void switchingAConfigKeyOffBreaksTheGolden(String name, String key, String value) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path dir = Shared.copyModel(Shared.model(name), tmp.resolve(name));
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        config.set(key, json.readTree(value));
        json.writeValue(dir.resolve("config.json").toFile(), config);
        assertMissesTheGolden(name, dir, UnaryOperator.identity(), key + " = " + value);
    }

    /** The features a family's class always turns on, each turned off in the config the checkpoint is read with. */
    @ParameterizedTest(name = "{0}: without {1}")
    @CsvSource(delimiter = ';', value = {
            "tiny-qwen3-random; q/k norms", "tiny-gemma3-random; q/k norms", "tiny-gemma2-random; (1 + w) norms",
            "tiny-gemma2-random; embedding scale", "tiny-gemma3-random; post-norms", "tiny-gemma2-random; GELU",
            "tiny-phi-random; LayerNorm", "tiny-phi-random; biases", "tiny-phi-random; head bias",
    })
    void switchingAFamilyFeatureOffBreaksTheGolden(String name, String feature) throws IOException {
        UnaryOperator<ModelConfig> off = c -> {
            ModelConfig.Builder b = new ModelConfig.Builder(c);
            switch (feature) {
                case "q/k norms" -> b.qkNorm = false;
                case "(1 + w) norms" -> b.norm = NormKind.RMS;
                case "embedding scale" -> b.scaleEmbeddings = false;
                case "post-norms" -> b.postNorms = false;
                case "GELU" -> b.activation = Activation.SILU;
                case "LayerNorm" -> b.norm = NormKind.RMS;
                case "biases" -> b.qkvBias = b.outputBias = b.mlpBias = false;
                case "head bias" -> b.headBias = false;
                default -> throw new IllegalArgumentException(feature);
            }
            return b.build();
        };
        assertMissesTheGolden(name, Shared.model(name), off, "without " + feature);
    }

    private static void assertMissesTheGolden(String name, Path dir, UnaryOperator<ModelConfig> adjust, String what) throws IOException {
        JsonNode seq = GoldenForwardTest.inputs(name).path("sequences").get(3);
        try (Model model = Model.load(dir, adjust); SafetensorsFile ref = SafetensorsFile.open(Shared.golden(name).resolve("reference.safetensors"))) {
            Transformer tf = new Transformer(model);
            int[] ids = GoldenForwardTest.ids(seq);
            float[] logits = tf.forward(ids, tf.newCache(ids.length), true);
            Tensor want = ref.tensor("logits.3");
            double max = 0;
            for (int i = 0; i < logits.length; i++) max = Math.max(max, Math.abs(logits[i] - want.get(i)));
            assertTrue(max > 10 * GoldenForwardTest.LOGIT_TOL, name + " " + what + ": max |dlogit| only " + max);
        }
    }
}
