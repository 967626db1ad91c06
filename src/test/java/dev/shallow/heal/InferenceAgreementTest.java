package dev.shallow.heal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.Shared;
import dev.shallow.model.Model;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Training's float32 loss is the inference forward's, so the two paths cannot drift apart: TrainableModel
 * (FLOAT32, adapters at B = 0) against {@link Transformer}'s logits (float32 kernels) put through cross-entropy
 * in double, on the same pruned subset and sequences. Every family's subset of Fixtures#families, and a Phi-3
 * with longrope whose two sequences lie on either side of its original context (short and long factors).
 * Tolerance 1e-5 on losses of 7 to 11: both sides round to float32 (products, norms, RoPE tables) in different
 * orders (measured up to 1.3e-6); a feature done differently moves the loss by far more (the goldens' README:
 * logits by 1e-2 and up).
 */
class InferenceAgreementTest {
    static final double TOL = 1e-5;

    @ParameterizedTest
    @MethodSource("dev.shallow.heal.Fixtures#families")
    void trainingLossIsTheInferenceLoss(String name, int[] layers) {
        agree(Shared.model(name), layers, Fixtures.stories(16, 11));
    }

    /** tiny-phi3-random's weights under a longrope config (original context 16): 12 tokens use the short factors, 24 the long. */
    @Test
    void longRopeShortAndLongSequences(@TempDir Path tmp) throws IOException {
        Path src = Shared.model("tiny-phi3-random");
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(src.resolve("config.json").toFile());
        ObjectNode scaling = config.putObject("rope_scaling");
        scaling.put("type", "longrope");
        var shortF = scaling.putArray("short_factor");
        var longF = scaling.putArray("long_factor");
        for (int i = 0; i < 12; i++) { // 12 = 24 rotary dims / 2
            shortF.add(1 + 0.05 * i);
            longF.add(1 + 0.6 * i);
        }
        config.put("original_max_position_embeddings", 16);
        Path dir = Files.createDirectory(tmp.resolve("tiny-phi3-longrope"));
        json.writeValue(dir.resolve("config.json").toFile(), config);
        for (String f : new String[]{"model.safetensors", "tokenizer.json", "tokenizer_config.json"}) {
            Files.createSymbolicLink(dir.resolve(f), src.resolve(f).toAbsolutePath());
        }
        agree(dir, new int[]{0, 5, 9}, Fixtures.stories(12, 24));
    }

    /** Both losses on the batch, asserted equal within TOL; returns training's. */
    static double agree(Path dir, int[] layers, Batch batch) {
        try (Model model = Model.load(dir)) {
            TrainableModel tm = new TrainableModel(Base.dense(model), layers, new LoraConfig(4, 8, 0, LoraConfig.ALL, 1), Precision.FLOAT32, false);
            double training = tm.loss(batch), sum = 0;
            int count = 0;
            Transformer t = new Transformer(model, layers);
            int vocab = model.config().vocabSize();
            for (int b = 0; b < batch.inputs().length; b++) {
                int[] ids = batch.inputs()[b], targets = batch.targets()[b];
                float[] logits = t.forward(ids, t.newCache(ids.length), true);
                for (int i = 0; i < ids.length; i++) {
                    if (targets[i] == Batch.IGNORE) continue;
                    double max = Double.NEGATIVE_INFINITY, z = 0;
                    for (int j = 0; j < vocab; j++) max = Math.max(max, logits[i * vocab + j]);
                    for (int j = 0; j < vocab; j++) z += Math.exp(logits[i * vocab + j] - max);
                    sum += max + Math.log(z) - logits[i * vocab + targets[i]]; // -log softmax(logits)[target]
                    count++;
                }
            }
            double inference = sum / count;
            System.out.printf("%s layers %s: training %.7f, inference %.7f, |difference| %.1e%n", dir.getFileName(),
                    java.util.Arrays.toString(layers), training, inference, Math.abs(training - inference));
            assertEquals(inference, training, TOL, "training's float32 loss against Transformer's");
            return training;
        }
    }
}
