package dev.shallow.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shallow.model.ConfigJson;
import dev.shallow.model.ModelConfig;

import java.util.function.Predicate;

/**
 * Gemma 3 with its vision tower (Gemma3ForConditionalGeneration, model_type gemma3): the text stack is Gemma 3's,
 * configured by "text_config" and stored under {@code language_model.model.} (Hub checkpoints) or
 * {@code model.language_model.} (transformers v5); the text stack is analysed, pruned and evaluated, and every
 * other tensor (vision tower, projector) is copied byte for byte.
 */
public final class Gemma3Multimodal extends Family {
    private static final Gemma3 TEXT = new Gemma3();

    public Gemma3Multimodal() {
        super("gemma3-multimodal", "gemma3");
    }

    @Override
    public String textConfigKey() {
        return "text_config";
    }

    @Override
    public ModelConfig read(ConfigJson j) {
        JsonNode text = j.get("text_config");
        if (text == null || !text.isObject()) throw j.fail("'text_config' must be an object (the language model's settings)");
        ModelConfig.Builder b = new ModelConfig.Builder(TEXT.read(new ConfigJson(j.file(), text)));
        b.family = name();
        b.modelType = j.string("model_type", "");
        b.architecture = j.has("architectures") ? j.get("architectures").path(0).asText("") : "";
        if (b.bosTokenId < 0) b.bosTokenId = j.tokenId("bos_token_id");
        if (b.eosTokenId < 0) b.eosTokenId = j.tokenId("eos_token_id");
        return b.build();
    }

    /** Hub checkpoints: language_model.model.layers.N...; transformers v5: model.language_model.layers.N... */
    @Override
    public TensorNames names(Predicate<String> stored) {
        TensorNames hub = names();
        return stored.test(hub.embed() + ".weight") ? hub : TensorNames.GEMMA.rebased("model.language_model.", "");
    }

    @Override
    public TensorNames names() {
        return TensorNames.GEMMA.rebased("language_model.model.", "language_model.");
    }

    /** Its text model, as Gemma 3's ({@code gemma3}); the vision tower and projector are left out ({@link #ggufLeavesOut}). */
    @Override
    public String ggufWriteArchitecture() {
        return "gemma3";
    }

    @Override
    public void writeGgufKeys(ModelConfig c, dev.shallow.io.GgufWriter.Metadata m) {
        TEXT.writeGgufKeys(c, m);
    }

    @Override
    public java.util.List<GgufTensor> ggufTensors(ModelConfig c, TensorNames hf, Predicate<String> stored, int[] sourceLayers) {
        return TEXT.ggufTensors(c, hf, stored, sourceLayers);
    }

    /**
     * Every tensor outside the text stack (under {@code hf}'s decoder prefix) and its head: llama.cpp runs a multimodal Gemma 3 from
     * a gemma3 GGUF of the text model plus a separate mmproj file holding the vision tower and projector
     * (convert_hf_to_gguf.py --mmproj), which Shallow does not write.
     */
    @Override
    public boolean ggufLeavesOut(String tensor, TensorNames hf) {
        String decoder = hf.embed().substring(0, hf.embed().length() - "embed_tokens".length());
        return !tensor.startsWith(decoder) && !tensor.startsWith(hf.head() + ".");
    }
}
