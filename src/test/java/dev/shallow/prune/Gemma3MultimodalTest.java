package dev.shallow.prune;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.Shared;
import dev.shallow.heal.Base;
import dev.shallow.heal.Batch;
import dev.shallow.heal.LoraConfig;
import dev.shallow.heal.Precision;
import dev.shallow.heal.TrainableModel;
import dev.shallow.io.SafetensorsFile;
import dev.shallow.io.SafetensorsWriter;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.tensor.Tensor;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Gemma3ForConditionalGeneration checkpoint (text_config, the text stack under a prefix, a vision tower) made from
 * tiny-gemma3-random: its text stack computes the golden logits, and pruning cuts text_config and the text layers
 * while copying the vision tensors byte for byte; the pruned checkpoint equals the original with the layers skipped.
 */
class Gemma3MultimodalTest {
    private static final String VISION = "vision_tower.vision_model.embeddings.patch_embedding.weight";
    private static final String PROJECTOR = "multi_modal_projector.mm_input_projection_weight";

    @TempDir
    Path tmp;

    /** tiny-gemma3-random as a multimodal checkpoint: its tensors renamed {@code textPrefix...}, plus two vision tensors. */
    private Path multimodal(String textPrefix) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path src = Shared.model("tiny-gemma3-random"), dir = tmp.resolve("mm-" + textPrefix);
        Files.createDirectories(dir);
        ObjectNode text = (ObjectNode) json.readTree(src.resolve("config.json").toFile());
        text.remove("architectures");
        ObjectNode config = json.createObjectNode();
        config.putArray("architectures").add("Gemma3ForConditionalGeneration");
        config.put("model_type", "gemma3");
        config.set("text_config", text);
        config.putObject("vision_config").put("model_type", "siglip_vision_model").put("hidden_size", 8);
        config.put("torch_dtype", "bfloat16");
        json.writeValue(dir.resolve("config.json").toFile(), config);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) Files.copy(src.resolve(f), dir.resolve(f));
        try (SafetensorsFile st = SafetensorsFile.open(src.resolve("model.safetensors"))) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (String name : st.tensors().keySet()) {
                String renamed = name.startsWith("model.") ? textPrefix + name.substring("model.".length()) : name;
                tensors.put(renamed, st.tensor(name));
            }
            float[] v = new float[8 * 8], p = new float[8 * 112];
            for (int i = 0; i < v.length; i++) v[i] = (float) Math.sin(i);
            for (int i = 0; i < p.length; i++) p[i] = (float) Math.cos(i);
            tensors.put(VISION, Tensor.ofFloats(v, 8, 8));
            tensors.put(PROJECTOR, Tensor.ofFloats(p, 8, 112));
            SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        }
        return dir;
    }

    /**
     * Written as GGUF, a multimodal checkpoint is its text model (llama.cpp takes the vision tower from a separate mmproj file, which
     * Shallow does not write, and a warning says so): the same keys (but general.name) and tensors as tiny-gemma3-random's own
     * GGUF, pruned the same way. Both with query_pre_attn_scalar = head_dim, the form llama.cpp can express.
     */
    @ParameterizedTest
    @ValueSource(strings = {"language_model.model.", "model.language_model."})
    void writtenAsGgufIsItsTextModel(String prefix) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path dir = multimodal(prefix), text = Shared.copyModel(Shared.model("tiny-gemma3-random"), tmp.resolve("text"));
        ObjectNode mm = (ObjectNode) json.readTree(dir.resolve("config.json").toFile()), tc = (ObjectNode) json.readTree(text.resolve("config.json").toFile());
        ((ObjectNode) mm.get("text_config")).put("query_pre_attn_scalar", 48);
        tc.put("query_pre_attn_scalar", 48);
        json.writeValue(dir.resolve("config.json").toFile(), mm);
        json.writeValue(text.resolve("config.json").toFile(), tc);
        int[] kept = {0, 1, 2, 3, 4, 5};
        Path a = tmp.resolve("mm.gguf"), b = tmp.resolve("text.gguf");
        var o = new dev.shallow.convert.GgufExporter.Options(dev.shallow.io.GgmlType.F32, false);
        var r = dev.shallow.convert.GgufExporter.write(dir, a, o, kept, null);
        dev.shallow.convert.GgufExporter.write(text, b, o, kept, null);
        assertEquals(1, r.warnings().stream().filter(w -> w.contains("2 tensors outside the text model") && w.contains("mmproj")).count(), r.warnings().toString());
        try (dev.shallow.io.GgufFile fa = dev.shallow.io.GgufFile.open(a); dev.shallow.io.GgufFile fb = dev.shallow.io.GgufFile.open(b)) {
            assertEquals(fb.metadata().keys(), fa.metadata().keys());
            for (String k : fb.metadata().keys()) {
                if (!k.equals("general.name")) assertArrayEquals(fb.metadata().encoded(k), fa.metadata().encoded(k), k);
            }
            assertEquals(fb.tensors().keySet(), fa.tensors().keySet());
            for (String t : fb.tensors().keySet()) {
                assertArrayEquals(fb.tensorData(t).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), fa.tensorData(t).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), t);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"language_model.model.", "model.language_model."})
    void textStackAnalysedPrunedAndVisionCopied(String prefix) throws IOException {
        Path dir = multimodal(prefix);
        int[] ids = {1, 403, 407, 261, 378, 9, 200, 300, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21};
        float[] text, skipped;
        int[] kept;
        try (Model tiny = Model.load(Shared.model("tiny-gemma3-random")); Model mm = Model.load(dir)) {
            assertEquals("gemma3-multimodal", mm.config().family());
            assertEquals(tiny.config().layerTypes(), mm.config().layerTypes());
            Transformer a = new Transformer(tiny), b = new Transformer(mm);
            text = a.forward(ids, a.newCache(ids.length), true);
            assertArrayEquals(text, b.forward(ids, b.newCache(ids.length), true), "the text stack is tiny-gemma3's, bit for bit");
            kept = Transformer.without(12, 5, 6);
            Batch batch = Batch.nextToken(new int[][]{ids});
            LoraConfig lora = new LoraConfig(4, 8, 0, LoraConfig.ALL, 1);
            assertEquals(new TrainableModel(Base.dense(tiny), kept, lora, Precision.FLOAT64, false).loss(batch),
                    new TrainableModel(Base.dense(mm), kept, lora, Precision.FLOAT64, false).loss(batch), 0, "the text stack trains as tiny-gemma3");
            Transformer c = new Transformer(mm, kept);
            skipped = c.forward(ids, c.newCache(ids.length), true);
        }
        Path out = tmp.resolve("pruned-" + prefix);
        Pruner.prune(dir, new int[]{5, 6}, PruningRecord.explicit(), out, false);
        var cfg = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals(10, cfg.path("text_config").path("num_hidden_layers").asInt());
        assertEquals(10, cfg.path("text_config").path("layer_types").size());
        assertEquals(ModelConfig.load(dir).keep(kept).layerTypes(), ModelConfig.load(out).layerTypes());
        try (SafetensorsFile before = SafetensorsFile.open(dir.resolve("model.safetensors"));
             SafetensorsFile after = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            for (String name : List.of(VISION, PROJECTOR)) {
                assertEquals(-1, MemorySegment.mismatch(before.bytes(name), 0, before.bytes(name).byteSize(),
                        after.bytes(name), 0, after.bytes(name).byteSize()), name + " copied byte for byte");
            }
            assertTrue(after.tensors().containsKey(prefix + "layers.9.mlp.down_proj.weight"));
            assertTrue(!after.tensors().containsKey(prefix + "layers.10.mlp.down_proj.weight"));
        }
        try (Model pruned = Model.load(out)) {
            Transformer t = new Transformer(pruned);
            assertArrayEquals(skipped, t.forward(ids, t.newCache(ids.length), true), "pruned = original with layers 5-6 skipped");
        }
    }
}
