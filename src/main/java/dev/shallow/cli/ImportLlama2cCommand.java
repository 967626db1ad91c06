package dev.shallow.cli;

import dev.shallow.convert.Llama2cImporter;
import dev.shallow.convert.Llama2cImporter.ImportedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "import-llama2c", mixinStandardHelpOptions = true,
        description = "Convert a llama2.c checkpoint and tokenizer (run.c format) into a Hugging Face Llama directory "
                + "(config.json, model.safetensors in F32, tokenizer.json, tokenizer_config.json, generation_config.json).")
public final class ImportLlama2cCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL_BIN", description = "llama2.c checkpoint, e.g. stories260K.bin")
    Path modelBin;

    @Parameters(index = "1", paramLabel = "TOKENIZER_BIN", description = "llama2.c tokenizer, e.g. tok512.bin")
    Path tokenizerBin;

    @Parameters(index = "2", paramLabel = "OUT_DIR", description = "directory to create (must not exist or be empty)")
    Path outDir;

    @Option(names = "--force", description = "replace OUT_DIR if it exists and is not empty")
    boolean force;

    @Override
    public Integer call() {
        ImportedModel m = Llama2cImporter.importModel(modelBin, tokenizerBin, outDir, force);
        System.out.printf("wrote %s: %d layers x %d hidden, vocab %d, %s embeddings, %,d parameters in %d F32 tensors%n",
                m.dir(), m.layers(), m.hiddenSize(), m.vocabSize(), m.tiedEmbeddings() ? "tied" : "untied", m.parameters(), m.tensors());
        for (String f : m.files()) System.out.printf("  %s%n", m.dir().resolve(f));
        return 0;
    }
}
