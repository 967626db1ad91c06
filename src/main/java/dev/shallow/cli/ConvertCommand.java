package dev.shallow.cli;

import dev.shallow.ShallowException;
import dev.shallow.convert.GgufExporter;
import dev.shallow.convert.GgufImporter;
import dev.shallow.convert.GgufOutputFile;
import dev.shallow.convert.GgufRewriter;
import dev.shallow.convert.GgufTensorTypes;
import dev.shallow.convert.OllamaModelfile;
import dev.shallow.io.GgmlType;
import dev.shallow.io.GgufWeights;
import dev.shallow.io.OutputPolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Write MODEL as one GGUF file llama.cpp loads (OUT named *.gguf), as llama.cpp's convert_hf_to_gguf.py writes it: "
                + "its family's keys and tensor names (llama, mistral as llama, qwen2, qwen3, smollm3), llama's q/k rows interleaved, the "
                + "tokenizer (SentencePiece-style as 'llama' with scores that reproduce its merges, byte-level as 'gpt2' with the "
                + "pre-tokenizer that splits as it does; refused when none does), weights as stored or in --dtype, norms and 1-D tensors F32.",
                "A GGUF MODEL is written again with the same tensors (bytes as they are, or re-typed in --dtype) when OUT is named "
                        + "*.gguf; otherwise as a Hugging Face directory OUT: config.json, model.safetensors (q/k rows back in rotate-half "
                        + "order, float weights as stored or in --dtype, quantized ones dequantized to F32 or --dtype), tokenizer.json and tokenizer_config.json "
                        + "from the GGUF vocabulary.",
                "A model whose sliding window llama.cpp's graph ignores (Mistral, Qwen2 with use_sliding_window) is refused, naming the "
                        + "key and the token count past which llama.cpp differs, unless --allow-ignored-window."})
final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "Hugging Face model directory, or a GGUF file.")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "The GGUF file to write (*.gguf; replaced only with --force), or "
            + "from a GGUF MODEL a directory (new or empty, or with --force one shallow wrote).")
    Path out;

    @Option(names = "--dtype", paramLabel = "f32|f16|bf16|q8_0", description = "The type of the weights (norms and 1-D tensors stay F32; q8_0 rows not whole blocks of 32 fall back to F16); "
            + "default: as stored. To a Hugging Face OUT: f32|f16|bf16, a quantized GGUF dequantized (default F32).")
    String dtype;

    @Option(names = "--allow-ignored-window", description = "Write a model whose sliding window llama.cpp ignores, with a warning.")
    boolean allowIgnoredWindow;

    @Option(names = "--modelfile", paramLabel = "FILE", description = "With a GGUF OUT: also write Ollama's Modelfile for it (ollama create NAME -f FILE).")
    Path modelfile;

    @Option(names = "--force", description = "Replace an existing OUT file (and --modelfile FILE), or an OUT directory shallow wrote.")
    boolean force;

    @Override
    public Integer call() {
        GgmlType type = dtype == null ? null : GgufTensorTypes.parse(dtype);
        boolean ggufIn = GgufWeights.isGguf(model);
        if (ggufIn && !out.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")) {
            if (allowIgnoredWindow) throw new ShallowException("--allow-ignored-window goes with a Hugging Face MODEL (a GGUF has no window to ignore)");
            if (modelfile != null) throw new ShallowException("--modelfile goes with a GGUF OUT (Ollama runs GGUF files)");
            OutputPolicy.checkDirectory(out, force, model);
            GgufImporter.Result r = GgufImporter.write(model, out, type, force);
            System.out.printf("wrote %s: %s, %d layers, %d tensors, config.json, tokenizer.json, tokenizer_config.json%n", r.out(), r.modelType(), r.layers(), r.tensors());
            return 0;
        }
        GgufOutputFile.check(out, force, model);
        if (modelfile != null) checkModelfile(modelfile, force, out, model);
        if (ggufIn) {
            if (allowIgnoredWindow) throw new ShallowException("--allow-ignored-window goes with a Hugging Face MODEL (a GGUF has no window to ignore)");
            GgufRewriter.Result r = GgufRewriter.write(model, out, type, null, null);
            System.out.printf("wrote %s: %s, %d layers, %d tensors (%,d bytes of tensor data)%n", r.out(), r.architecture(), r.layersAfter(), r.tensors(), r.tensorBytes());
        } else {
            GgufExporter.Result r = GgufExporter.write(model, out, new GgufExporter.Options(type, allowIgnoredWindow), null, null);
            r.warnings().forEach(w -> System.err.println("shallow: warning: " + w));
            System.out.printf("wrote %s: %s, %d layers, %d tensors%n", r.out(), r.architecture(), r.layers(), r.tensors());
        }
        if (modelfile != null) writeModelfile(modelfile, out);
        return 0;
    }

    /**
     * Before anything is written: the Modelfile is apart from the inputs and the other outputs, and, as a hand-written
     * Modelfile holds a user's prompts and parameters, an existing one is replaced only with --force.
     */
    static void checkModelfile(Path modelfile, boolean force, Path gguf, Path... inputs) {
        OutputPolicy.checkFile(modelfile, inputs);
        OutputPolicy.requireApartFromOutput(modelfile, gguf);
        if (Files.exists(modelfile) && !force) throw ShallowException.at(modelfile, "exists; give --force to replace it");
    }

    /** Writes Ollama's Modelfile for the GGUF {@code gguf} just written, and says so. */
    static void writeModelfile(Path modelfile, Path gguf) {
        OllamaModelfile.write(modelfile, gguf);
        System.out.printf("wrote %s (Ollama: ollama create NAME -f %s)%n", modelfile, modelfile);
    }
}
