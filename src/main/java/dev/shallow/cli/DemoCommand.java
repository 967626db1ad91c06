package dev.shallow.cli;

import dev.shallow.generate.Sampler;
import dev.shallow.model.Model;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.Transformer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "The main job on a model (default: the bundled stories260K): load it, print its info, continue a prompt.")
final class DemoCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "Model directory (default: the bundled stories260K).")
    Path modelDir;

    @Mixin
    ThreadsOption threads;

    @Override
    public Integer call() {
        Path dir = Defaults.modelOrDefault(modelDir);
        try (Model model = Model.load(dir)) {
            InfoCommand.print(model);
            System.out.println();
            System.out.println("greedy continuation:");
            GenerateCommand.run(model, Tokenizer.load(dir), Transformer.allLayers(model.config().numLayers()),
                    "Once upon a time", 48, Sampler.greedy(), true, System.out);
        }
        return 0;
    }
}
