package dev.shallow.io;

import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.model.LayerType;
import dev.shallow.model.ModelConfig;
import dev.shallow.model.RopeSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class ModelConfigTest {
    static final Path MODELS = Path.of(System.getProperty("shallow.shared", "../shared")).resolve("models");

    @TempDir
    Path tmp;

    @Test
    void stories260K() {
        ModelConfig c = ModelConfig.load(MODELS.resolve("stories260K"));
        assertEquals("llama", c.modelType());
        assertEquals("LlamaForCausalLM", c.architecture());
        assertEquals(64, c.hiddenSize());
        assertEquals(172, c.intermediateSize());
        assertEquals(5, c.numLayers());
        assertEquals(8, c.numHeads());
        assertEquals(4, c.numKvHeads());
        assertEquals(8, c.headDim());
        assertEquals(64, c.qDim());
        assertEquals(32, c.kvDim());
        assertEquals(512, c.vocabSize());
        assertEquals(512, c.maxPositionEmbeddings());
        assertEquals(1e-5f, c.normEps());
        assertEquals(java.util.List.of(new RopeSpec(10000.0, 8, null)), c.ropes());
        assertTrue(c.tieWordEmbeddings());
        assertFalse(c.qkvBias());
        assertTrue(c.features().isEmpty(), c.features().toString());
        assertEquals(1, c.bosTokenId());
        assertEquals(2, c.eosTokenId());
    }

    @Test
    void tinyQwen2WithExplicitHeadDimAndBias() {
        ModelConfig c = ModelConfig.load(MODELS.resolve("tiny-qwen2-random"));
        assertEquals("qwen2", c.modelType());
        assertEquals(12, c.numLayers());
        assertEquals(4, c.numHeads());
        assertEquals(2, c.numKvHeads());
        assertEquals(16, c.headDim());
        assertEquals(64, c.qDim());
        assertEquals(32, c.kvDim());
        assertEquals(160, c.intermediateSize());
        assertEquals(1e-6f, c.normEps());
        assertEquals(1e6, c.ropes().getFirst().theta());
        assertFalse(c.tieWordEmbeddings());
        assertTrue(c.qkvBias());
        assertFalse(c.outputBias());
        assertTrue(c.layerTypes().stream().noneMatch(LayerType::sliding));
        assertEquals("bfloat16", c.torchDtype());
        assertEquals(1024, c.maxPositionEmbeddings());
    }

    @Test
    void stories16L() {
        ModelConfig c = ModelConfig.load(MODELS.resolve("stories-16L"));
        assertEquals(16, c.numLayers());
        assertEquals(128, c.hiddenSize());
        assertEquals(32, c.headDim());
        assertEquals(2, c.numKvHeads());
        assertEquals(352, c.intermediateSize());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(9, c.keep(new int[]{0, 1, 2, 3, 4, 5, 6, 7, 15}).numLayers());
    }

    /** stories260K's config.json with {@code replace} applied to its text, written to a temp file. */
    private Path edited(String from, String to) throws IOException {
        String text = Files.readString(MODELS.resolve("stories260K/config.json"));
        assertTrue(text.contains(from), from);
        Path p = tmp.resolve("config.json");
        Files.writeString(p, text.replace(from, to));
        return p;
    }

    @Test
    void llama3RopeScaling() throws IOException {
        ModelConfig c = ModelConfig.load(edited("\"rope_theta\": 10000.0,", "\"rope_theta\": 500000.0, \"rope_scaling\": {\"factor\": 32.0, "
                + "\"high_freq_factor\": 4.0, \"low_freq_factor\": 1.0, \"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"},"));
        assertEquals(new RopeSpec.Scaling("llama3", 32.0, 1.0, 4.0, 8192, null, null, 1), c.ropes().getFirst().scaling());
        assertEquals(500000.0, c.ropes().getFirst().theta());
    }

    @Test
    void linearRopeScalingWithLegacyTypeKey() throws IOException {
        ModelConfig c = ModelConfig.load(edited("\"rope_theta\": 10000.0,", "\"rope_theta\": 10000.0, \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0},"));
        assertEquals(RopeSpec.Scaling.linear(2.0), c.ropes().getFirst().scaling());
    }

    @Test
    void nullKvHeadsMeansMultiHead() throws IOException {
        ModelConfig c = ModelConfig.load(edited("\"num_key_value_heads\": 4", "\"num_key_value_heads\": null"));
        assertEquals(8, c.numKvHeads());
    }

    private static void assertFails(Path file, String problem) {
        ShallowException e = assertThrows(ShallowException.class, () -> ModelConfig.load(file));
        SafetensorsFileTest.assertOneLineNaming(e, file, problem);
    }

    @Test
    void unknownArchitecture() throws IOException {
        Path p = tmp.resolve("config.json");
        Files.writeString(p, "{\"architectures\": [\"GPT2LMHeadModel\"], \"model_type\": \"gpt2\"}");
        assertFails(p, "unsupported architecture: model_type 'gpt2' (GPT2LMHeadModel)");
    }

    @Test
    void unsupportedRopeScalingType() throws IOException {
        assertFails(edited("\"rope_theta\": 10000.0,", "\"rope_theta\": 10000.0, \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0},"),
                "unsupported rope_scaling type 'yarn'");
    }

    @Test
    void nonPositiveLayerCount() throws IOException {
        assertFails(edited("\"num_hidden_layers\": 5", "\"num_hidden_layers\": 0"), "'num_hidden_layers' must be a positive integer, got 0");
    }

    @Test
    void fractionalSizeIsNotAnInteger() throws IOException {
        assertFails(edited("\"hidden_size\": 64", "\"hidden_size\": 64.5"), "'hidden_size' must be a positive integer, got 64.5");
    }

    @Test
    void headsNotMultipleOfKvHeads() throws IOException {
        assertFails(edited("\"num_key_value_heads\": 4", "\"num_key_value_heads\": 3"), "not a multiple of num_key_value_heads 3");
    }

    @Test
    void mlpBiasIsReadAndItsTensorsRequired() throws IOException {
        Path file = edited("\"attention_bias\": false", "\"attention_bias\": false, \"mlp_bias\": true");
        assertTrue(ModelConfig.load(file).mlpBias());
        Path dir = Shared.copyModel(MODELS.resolve("stories260K"), tmp.resolve("m"));
        Files.copy(file, dir.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ShallowException e = assertThrows(ShallowException.class, () -> dev.shallow.model.Model.load(dir));
        assertTrue(e.getMessage().contains("model.layers.0.mlp.gate_proj.bias"), e.getMessage());
    }

    /** Values transformers would reject or turn into NaN are refused, naming the key; none becomes a silent default. */
    @Test
    void impossibleValuesAreRefused() throws IOException {
        String theta = "\"rope_theta\": 10000.0,";
        assertFails(edited(theta, "\"rope_theta\": 0,"), "'rope_theta' must be a positive number, got 0");
        assertFails(edited(theta, "\"rope_theta\": -5,"), "'rope_theta' must be a positive number, got -5");
        assertFails(edited(theta, "\"rope_theta\": \"10000\","), "'rope_theta' must be a positive number, got \"10000\"");
        assertFails(edited("\"rms_norm_eps\": 1e-05", "\"rms_norm_eps\": -1e-05"), "'rms_norm_eps' must be a positive number");
        assertFails(edited("\"max_position_embeddings\": 512", "\"max_position_embeddings\": \"512\""),
                "'max_position_embeddings' must be a positive integer, got \"512\"");
        assertFails(edited(theta, theta + " \"rope_scaling\": {\"rope_type\": \"linear\"},"), "rope_scaling of type 'linear' needs 'factor'");
        assertFails(edited(theta, theta + " \"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": -2},"), "'factor' must be a positive number");
        assertFails(edited("\"num_hidden_layers\": 5", "\"num_hidden_layers\": 2147483647"), "'num_hidden_layers' is 2147483647, more than");
        assertFails(edited("\"tie_word_embeddings\": true", "\"tie_word_embeddings\": \"yes\""), "'tie_word_embeddings' must be true or false");
    }

    @Test
    void slidingWindowMustBePositive() throws IOException {
        Path p = tmp.resolve("config.json");
        String mistral = Files.readString(MODELS.resolve("tiny-mistral-random/config.json"));
        Files.writeString(p, mistral.replace("\"sliding_window\": 8", "\"sliding_window\": -8"));
        assertFails(p, "'sliding_window' must be a positive integer, got -8");
    }

    @Test
    void mixtureOfExpertsRefusedByName() throws IOException {
        Path p = tmp.resolve("config.json");
        Files.writeString(p, "{\"architectures\": [\"Qwen3MoeForCausalLM\"], \"model_type\": \"qwen3_moe\"}");
        assertFails(p, "unsupported architecture: model_type 'qwen3_moe' (Qwen3MoeForCausalLM), a mixture-of-experts model,");
    }

    @Test
    void invalidJsonAndMissingFile() throws IOException {
        assertFails(edited("\"hidden_size\": 64,", "\"hidden_size\": 64,,"), "content is not valid JSON");
        assertFails(tmp.resolve("nope/config.json"), "file not found");
        assertFails(edited("\"hidden_size\": 64,", "\"hidden_size\": 64, \"hidden_size\": 65,"), "Duplicate field 'hidden_size'");
    }
}
