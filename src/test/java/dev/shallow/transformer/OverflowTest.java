package dev.shallow.transformer;

import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.io.SafetensorsFile;
import dev.shallow.io.SafetensorsWriter;
import dev.shallow.model.Model;
import dev.shallow.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Finite weights whose activations overflow float32 stop the forward pass with the layer named, instead of NaN logits. */
class OverflowTest {
    @Test
    void aLayerThatOverflowsIsNamed(@TempDir Path tmp) throws IOException {
        Path src = Shared.model("stories260K"), dir = tmp.resolve("m");
        Files.createDirectories(dir);
        for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json")) Files.copy(src.resolve(f), dir.resolve(f));
        try (SafetensorsFile st = SafetensorsFile.open(src.resolve("model.safetensors"))) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (String name : st.tensors().keySet()) tensors.put(name, st.tensor(name));
            Tensor down = st.tensor("model.layers.2.mlp.down_proj.weight");
            float[] huge = down.toFloatArray();
            java.util.Arrays.fill(huge, 3e38f); // finite, but the layer's output is not
            tensors.put("model.layers.2.mlp.down_proj.weight", Tensor.ofFloats(huge, down.shape()));
            SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        }
        try (Model m = Model.load(dir)) {
            Transformer tf = new Transformer(m);
            ShallowException e = assertThrows(ShallowException.class, () -> tf.forward(new int[]{1, 403, 407}, tf.newCache(3), true));
            assertTrue(e.getMessage().startsWith("layer 2 produced"), e.getMessage());
            Transformer skipping = new Transformer(m, Transformer.without(5, 2));
            skipping.forward(new int[]{1, 403, 407}, skipping.newCache(3), true); // without that layer the model runs
        }
    }
}
