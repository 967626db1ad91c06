package dev.shallow.cli;

import dev.shallow.generate.Generator;
import dev.shallow.generate.Sampler;
import dev.shallow.generate.TextStream;
import dev.shallow.model.Model;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.Transformer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue a prompt, streaming tokens as they are produced (greedy, or seeded temperature/top-p sampling).")
final class GenerateCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "Model directory or GGUF file (default: the bundled stories260K).")
    Path modelDir;

    @Option(names = "--prompt", defaultValue = "Once upon a time", description = "Prompt text (default: ${DEFAULT-VALUE}).")
    String prompt;

    @Option(names = "--max-tokens", converter = Ranges.AtLeastOne.class, defaultValue = "64", description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", converter = Ranges.AtLeastZeroReal.class, defaultValue = "0", description = "0 = greedy (default); > 0 samples from softmax(logits / T).")
    double temperature;

    @Option(names = "--top-p", converter = Ranges.Mass.class, defaultValue = "0.9", description = "Nucleus mass when sampling (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--seed", defaultValue = "42", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--skip-layers", split = ",", paramLabel = "L", description = "Layers to skip (0-indexed), e.g. 3,4.")
    int[] skip = new int[0];

    @Option(names = "--no-eos-stop", description = "Keep generating after the end-of-sequence token.")
    boolean noEosStop;

    @Mixin
    ThreadsOption threads;

    @Mixin
    PrecisionOption precision;

    @Override
    public Integer call() {
        Path dir = Defaults.modelOrDefault(modelDir);
        try (Model model = Model.load(dir)) {
            run(model, Tokenizer.load(dir), Transformer.without(model.config().numLayers(), skip), prompt, maxTokens,
                    temperature == 0 ? Sampler.greedy() : Sampler.of((float) temperature, (float) topP, seed), !noEosStop, System.out);
        }
        return 0;
    }

    /**
     * Prints the prompt, then each new piece of text as soon as it is final ({@link TextStream}; prompt and continuation are
     * decoded together, so the spaces between them come out right), and at the end the rest.
     */
    static Generator.Result run(Model model, Tokenizer tok, int[] layers, String prompt, int maxTokens, Sampler sampler,
                                boolean eosStop, PrintStream out) {
        int[] ids = tok.encode(prompt, true);
        TextStream text = new TextStream(tok, ids, out);
        Generator.Result r = new Generator(new Transformer(model, layers)).generate(ids, maxTokens, sampler,
                eosStop ? tok.eosId().orElse(-1) : -1, text::add);
        text.finish();
        System.err.printf("[%d prompt tokens at %.1f tok/s, %d generated at %.1f tok/s]%n", ids.length,
                r.prefillTokensPerSecond(), r.tokens().length, r.decodeTokensPerSecond());
        return r;
    }
}
