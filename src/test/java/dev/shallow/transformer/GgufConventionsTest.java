package dev.shallow.transformer;

import dev.shallow.Shared;
import dev.shallow.io.HfToGguf;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Each GGUF architecture Model.load maps, checked against llama.cpp's conventions: the tiny checkpoint written as
 * convert_hf_to_gguf.py writes it ({@link HfToGguf}) computes that checkpoint's golden logits and residuals.
 * stories260K as llama is the control (its real llama.cpp GGUF passes the same check in GoldenForwardTest). Gemma 2 and 3 are
 * not here: llama.cpp computes another model than transformers from their GGUFs (attention and embedding scales), checked
 * against the Hugging Face model llama.cpp can express in {@link GgufFamiliesTest}.
 */
class GgufConventionsTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"stories260K, llama", "tiny-qwen2-random, qwen2", "tiny-qwen3-random, qwen3", "tiny-smollm3-random, smollm3",
            "tiny-phi3-random, phi3", "tiny-phi-random, phi2"})
    void convertedCheckpointMatchesGolden(String model, String arch) throws IOException {
        Path gguf = HfToGguf.convert(Shared.model(model), arch, Shared.root().resolve("real/stories260K-gguf/stories260K.gguf"), tmp.resolve(model + ".gguf"));
        GoldenForwardTest.matchesReference(model, gguf);
    }
}
