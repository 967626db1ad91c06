package dev.shallow.cli;

import dev.shallow.io.Checkpoint;
import dev.shallow.model.Model;
import dev.shallow.model.ModelConfig;
import dev.shallow.tensor.Matmul;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print a checkpoint's architecture, sizes, parameter count, dtypes and bytes on disk.")
final class InfoCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "Hugging Face model directory or GGUF file (default: the bundled stories260K).")
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
        for (String name : model.weights().names()) {
            var t = model.weights().stored(name);
            dtypes.merge(t.type(), t.elements(), Long::sum);
        }
        System.out.printf("model         %s%n", model.dir());
        System.out.printf("architecture  %s (model_type %s, family %s)%n", c.architecture(), c.modelType(), c.family());
        System.out.printf("layers        %d%n", c.numLayers());
        int[] noAttention = java.util.stream.IntStream.range(0, c.numLayers()).filter(l -> model.layer(l).wo() == null).toArray();
        int[] noMlp = java.util.stream.IntStream.range(0, c.numLayers()).filter(l -> model.layer(l).wDown() == null).toArray();
        if (noAttention.length + noMlp.length > 0) {
            System.out.printf("sub-blocks    removed (skipped): attention of layers [%s], MLP of layers [%s]%n",
                    dev.shallow.prune.Layers.format(noAttention), dev.shallow.prune.Layers.format(noMlp));
        }
        System.out.printf("hidden size   %d (intermediate %d)%n", c.hiddenSize(), c.intermediateSize());
        System.out.printf("heads         %d query, %d key/value, head_dim %d%n", c.numHeads(), c.numKvHeads(), c.headDim());
        System.out.printf("vocabulary    %d%n", c.vocabSize());
        System.out.printf("context       %d positions, %s%n", c.maxPositionEmbeddings(), String.join("; ", c.ropes().stream()
                .map(r -> "rope_theta " + r.theta() + (r.scaling() == null ? "" : ", rope_scaling " + r.scaling())).toList()));
        System.out.printf("features      %s%n", c.features().isEmpty() ? "Llama layer" : String.join(", ", c.features()));
        boolean ignoredHead = c.tieWordEmbeddings() && model.weights().has(model.names().head() + ".weight");
        System.out.printf("embeddings    %s%n", !c.tieWordEmbeddings() ? "untied"
                : "tied (lm_head = embed_tokens)" + (ignoredHead ? "; the stored lm_head.weight is ignored, as Hugging Face does" : ""));
        System.out.printf("parameters    %,d%n", model.parameterCount());
        System.out.printf("dtypes        %s%n", dtypes.entrySet().stream().map(e -> e.getKey() + " (" + String.format("%,d", e.getValue()) + " params)").toList());
        System.out.printf("on disk       %,d bytes%n", model.weights().bytesOnDisk());
        if (Files.isDirectory(model.dir()) && Files.exists(model.dir().resolve(Checkpoint.INDEX)) && !Checkpoint.sharded(model.dir())) {
            System.out.printf("weights       %s; the %s beside it is ignored, as Hugging Face does%n", Checkpoint.SINGLE, Checkpoint.INDEX);
        }
        for (String line : Matmul.platform()) System.out.println(line);
    }
}
