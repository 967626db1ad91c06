package dev.shallow.cli;

import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print a checkpoint's architecture, sizes, parameter count, dtypes and bytes on disk.")
final class InfoCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "Hugging Face model directory (default: the bundled stories260K).")
    Path modelDir;

    @Override
    public Integer call() {
        try (Model model = Model.load(Defaults.modelOrDefault(modelDir))) {
            print(model);
        }
        return 0;
    }

    static void print(Model model) {
        ModelConfig c = model.config();
        Map<String, Long> dtypes = new TreeMap<>();
        for (String name : model.checkpoint().names()) {
            var info = model.checkpoint().info(name);
            dtypes.merge(info.dtype().name(), info.elements(), Long::sum);
        }
        System.out.printf("model         %s%n", model.dir());
        System.out.printf("architecture  %s (model_type %s)%n", c.architecture(), c.modelType());
        System.out.printf("layers        %d%n", c.numLayers());
        System.out.printf("hidden size   %d (intermediate %d)%n", c.hiddenSize(), c.intermediateSize());
        System.out.printf("heads         %d query, %d key/value, head_dim %d%n", c.numHeads(), c.numKvHeads(), c.headDim());
        System.out.printf("vocabulary    %d%n", c.vocabSize());
        System.out.printf("context       %d positions, rope_theta %s%s%n", c.maxPositionEmbeddings(), c.ropeTheta(),
                c.ropeScaling() == null ? "" : ", rope_scaling " + c.ropeScaling().type() + " x" + c.ropeScaling().factor());
        System.out.printf("embeddings    %s%n", c.tieWordEmbeddings() ? "tied (lm_head = embed_tokens)" : "untied");
        System.out.printf("parameters    %,d%n", model.parameterCount());
        System.out.printf("dtypes        %s%n", dtypes.entrySet().stream().map(e -> e.getKey() + " (" + String.format("%,d", e.getValue()) + " params)").toList());
        System.out.printf("on disk       %,d bytes%n", model.checkpoint().bytesOnDisk());
    }
}
