package dev.shallow.llamacpp;

import dev.shallow.bench.ModelShape;
import dev.shallow.bench.RandomCheckpoint;
import dev.shallow.io.HfToGguf;

import java.nio.file.Path;

/**
 * Writes a float32 GGUF of TinyLlama-1.1B's shape with fewer layers (seeded random weights, llama.cpp's Llama-2 SentencePiece
 * vocabulary of 32000 tokens) for {@code shallow bench --gguf}, until the GGUF writer does it: the test-side {@link HfToGguf}
 * holds a whole file in one Java array (under 2 GiB), so all 22 layers (4.4 GB in float32) do not fit.
 * <pre>java -Xmx10g -cp target/classes:target/test-classes:DEPS dev.shallow.llamacpp.TinyLlamaGguf WORKDIR LAYERS</pre>
 * writes WORKDIR/tinyllama-LAYERSL-random (BF16, Hugging Face), WORKDIR/tinyllama-LAYERSL-f32 and WORKDIR/tinyllama-LAYERSL-f32.gguf.
 */
public final class TinyLlamaGguf {
    private TinyLlamaGguf() {
    }

    public static void main(String[] args) {
        Path work = Path.of(args[0]);
        int layers = Integer.parseInt(args[1]);
        ModelShape t = ModelShape.TINYLLAMA_1_1B;
        ModelShape shape = new ModelShape("tinyllama-" + layers + "L", layers, t.hidden(), t.intermediate(), t.heads(), t.kvHeads(), t.vocab(),
                t.maxPositions(), t.ropeTheta(), t.rmsNormEps());
        Path hf = RandomCheckpoint.ensure(shape, 0, work.resolve(shape.name() + "-random"), Path.of("models/stories260K/tokenizer.json"));
        Path f32 = LlamaCppOracleTest.float32Copy(hf, work.resolve(shape.name() + "-f32"));
        Path vocab = dev.shallow.Shared.root().resolve("real/llama.cpp-vocab/ggml-vocab-llama-spm.gguf");
        System.out.println(HfToGguf.convert(f32, "llama", vocab, work.resolve(shape.name() + "-f32.gguf")));
    }
}
