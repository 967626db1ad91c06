package dev.shallow.transformer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.Shared;
import dev.shallow.io.SafetensorsFile;
import dev.shallow.model.Model;
import dev.shallow.tensor.Tensor;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each family feature the goldens exercise, switched off through config.json, moves the logits far outside
 * {@link GoldenForwardTest}'s tolerance: so that test fails whenever one of these features is dropped or
 * misread. (Features without a config switch, such as Qwen3's q/k norms or Gemma's (1 + w) norms, are covered
 * by the same goldens: ../shared/README.md lists how far each moves the logits.)
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
    void switchingAFeatureOffBreaksTheGolden(String name, String key, String value) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path dir = Shared.copyModel(Shared.model(name), tmp.resolve(name));
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        config.set(key, json.readTree(value));
        json.writeValue(dir.resolve("config.json").toFile(), config);
        JsonNode seq = GoldenForwardTest.inputs(name).path("sequences").get(3);
        try (Model model = Model.load(dir); SafetensorsFile ref = SafetensorsFile.open(Shared.golden(name).resolve("reference.safetensors"))) {
            Transformer tf = new Transformer(model);
            int[] ids = GoldenForwardTest.ids(seq);
            float[] logits = tf.forward(ids, tf.newCache(ids.length), true);
            Tensor want = ref.tensor("logits.3");
            double max = 0;
            for (int i = 0; i < logits.length; i++) max = Math.max(max, Math.abs(logits[i] - want.get(i)));
            assertTrue(max > 10 * GoldenForwardTest.LOGIT_TOL, name + " with " + key + " = " + value + ": max |dlogit| only " + max);
        }
    }
}
