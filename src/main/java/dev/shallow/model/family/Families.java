package dev.shallow.model.family;

import dev.shallow.model.ConfigJson;
import dev.shallow.model.GgufKeys;
import dev.shallow.model.ModelConfig;

import java.util.List;

/** The supported families, looked up by config.json's {@code model_type}. */
public final class Families {
    /** llama.cpp's deci, which Shallow writes for a model with sub-blocks removed. */
    public static final Family DECI = new Deci();
    public static final List<Family> ALL = List.of(new Llama(), new Mistral(), new Qwen2(), new Qwen3(), new Gemma2(), new Gemma3(),
            new Gemma3Multimodal(), new Phi3(), new Phi(), new SmolLM3(), DECI);

    private Families() {
    }

    /** The family named by model_type; unknown types (mixture-of-experts among them) are refused in one line. */
    public static Family of(ConfigJson j) {
        String type = j.string("model_type", "");
        for (Family f : ALL) if (f.modelTypes().contains(type)) return f;
        String arch = j.has("architectures") ? j.get("architectures").path(0).asText("") : "";
        boolean moe = type.contains("moe") || type.equals("mixtral") || j.has("num_experts") || j.has("num_local_experts");
        throw j.fail("unsupported architecture: model_type '" + type + "' (" + (arch.isEmpty() ? "no architectures" : arch) + ")"
                + (moe ? ", a mixture-of-experts model," : "") + "; supported: " + supported());
    }

    public static ModelConfig read(ConfigJson j) {
        return of(j).read(j);
    }

    /** The supported model_type values, comma-separated. */
    public static String supported() {
        return String.join(", ", ALL.stream().flatMap(f -> f.modelTypes().stream()).toList());
    }

    /** The family of a GGUF file's {@code general.architecture}; an architecture without a mapping is refused in one line. */
    public static Family of(GgufKeys k) {
        for (Family f : ALL) if (k.architecture().equals(f.ggufArchitecture())) return f;
        throw k.fail("unsupported GGUF architecture '" + k.architecture() + "'; supported: " + supportedGguf());
    }

    /** The GGUF architectures with a mapping, comma-separated. */
    public static String supportedGguf() {
        return String.join(", ", ALL.stream().map(Family::ggufArchitecture).filter(a -> a != null).toList());
    }

    /** The family of a config read by {@link #read}. */
    public static Family of(ModelConfig c) {
        for (Family f : ALL) if (f.name().equals(c.family())) return f;
        throw new IllegalStateException("no family " + c.family());
    }
}
