package dev.shallow.heal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.Shared;
import dev.shallow.model.Model;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Loss and every LoRA gradient against PyTorch autograd in float64 on an independent LoRA Llama
 * (src/test/resources/heal/lora_llama.py), fed the same A and B (B non-zero) and batch (two
 * sequences of different lengths), dropout off. On all layers of stories260K and tiny-qwen2-random
 * (biases, untied head, BF16) and on a pruned subset of stories260K.
 * <p>
 * Tolerances. FLOAT64 is the same arithmetic in a different order (the reference adds
 * rms_norm_eps rounded to float32, as Shallow reads it): loss within 1e-13 and each gradient within
 * 1e-12 of the largest gradient of its tensor (measured: 1.3e-15 and 2.4e-14). FLOAT32 rounds
 * every product's inputs to float and accumulates in float: loss within 1e-5 and each gradient
 * within 1e-4 of its tensor's largest (measured: 2.6e-7 and 1.1e-5).
 */
class TorchReferenceTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final LoraConfig LORA = new LoraConfig(4, 8, 0, LoraConfig.ALL, 3);

    @ParameterizedTest
    @CsvSource({"stories260K, '0,1,2,3,4'", "stories260K, '0,1,3,4'", "tiny-qwen2-random, '0,1,2,3,4,5,6,7,8,9,10,11'"})
    void lossAndLoraGradientsMatchAutograd(String name, String kept, @TempDir Path tmp) throws Exception {
        int[] layers = Arrays.stream(kept.split(",")).mapToInt(Integer::parseInt).toArray();
        Batch batch = Fixtures.stories(16, 11);
        try (Model model = Model.load(Shared.model(name))) {
            Trained t = Trained.on(model, layers, batch, false);
            TrainableModel exact = t.exact(), fast = t.fast();
            double exactLoss = t.exactLoss(), fastLoss = t.fastLoss();
            JsonNode want = run(List.of("/heal/lora_llama.py"), Shared.model(name), layers, LORA.alpha(), batch, exact.parameters(), false, tmp);
            double torchLoss = want.path("loss").asDouble();
            assertEquals(torchLoss, exactLoss, 1e-13, "FLOAT64 loss");
            assertEquals(torchLoss, fastLoss, 1e-5, "FLOAT32 loss");
            double worstExact = worst(gradients(exact.parameters()), want.path("grads")), worstFast = worst(gradients(fast.parameters()), want.path("grads"));
            System.out.printf("%s layers %s: |dloss| FLOAT64 %.1e FLOAT32 %.1e; max |dgrad| / max |grad| of its tensor: FLOAT64 %.1e FLOAT32 %.1e%n",
                    name, kept, Math.abs(exactLoss - torchLoss), Math.abs(fastLoss - torchLoss), worstExact, worstFast);
            assertTrue(worstExact < 1e-12, "FLOAT64 gradients: " + worstExact);
            assertTrue(worstFast < 1e-4, "FLOAT32 gradients: " + worstFast);
        }
    }

    /**
     * Every family, autograd through the reference's own forward of that family (lora_arch.py imports
     * ../shared/tools/refarch.py and adds LoRA to its linear layers), on a pruned subset that mixes the family's
     * layer kinds (sliding and full, local and global RoPE, NoPE) and sequences longer than the windows: loss, every
     * LoRA gradient (all-linear: Phi-3's adapters on the fused qkv_proj and gate_up_proj) and every base-weight
     * gradient, whose names must be the checkpoint's, in FLOAT64; loss and LoRA gradients in FLOAT32. Same
     * tolerances as the Llama check above.
     */
    @ParameterizedTest
    @MethodSource("dev.shallow.heal.Fixtures#families")
    void everyFamilyMatchesAutogradThroughTheReference(String name, int[] layers, @TempDir Path tmp) throws Exception {
        Batch batch = Fixtures.stories(16, 11);
        try (Model model = Model.load(Shared.model(name))) {
            Trained t = Trained.on(model, layers, batch, true);
            TrainableModel exact = t.exact(), fast = t.fast();
            double exactLoss = t.exactLoss(), fastLoss = t.fastLoss();
            JsonNode want = run(List.of("/heal/lora_arch.py", Shared.root().resolve("tools").toString()), Shared.model(name), layers,
                    LORA.alpha(), batch, exact.parameters(), true, tmp);
            double torchLoss = want.path("loss").asDouble();
            List<String> torchBase = new ArrayList<>();
            want.path("base").fieldNames().forEachRemaining(torchBase::add);
            assertEquals(new TreeSet<>(torchBase), new TreeSet<>(exact.baseGradients().keySet()), "base gradients by the checkpoint's names");
            double worstLora = worst(gradients(exact.parameters()), want.path("grads")), worstBase = worst(exact.baseGradients(), want.path("base"));
            double worstFast = worst(gradients(fast.parameters()), want.path("grads"));
            System.out.printf("%s layers %s: |dloss| FLOAT64 %.1e FLOAT32 %.1e; max |dgrad| / max |grad| of its tensor: LoRA FLOAT64 %.1e, "
                            + "base FLOAT64 %.1e (%d tensors), LoRA FLOAT32 %.1e%n", name, Arrays.toString(layers), Math.abs(exactLoss - torchLoss),
                    Math.abs(fastLoss - torchLoss), worstLora, worstBase, torchBase.size(), worstFast);
            assertEquals(torchLoss, exactLoss, 1e-13, "FLOAT64 loss");
            assertEquals(torchLoss, fastLoss, 1e-5, "FLOAT32 loss");
            assertTrue(worstLora < 1e-12, "FLOAT64 LoRA gradients: " + worstLora);
            assertTrue(worstBase < 1e-12, "FLOAT64 base gradients: " + worstBase);
            assertTrue(worstFast < 1e-4, "FLOAT32 LoRA gradients: " + worstFast);
        }
    }

    /** FLOAT64 (with base gradients when asked) and FLOAT32 models of the layers, the same random B, after one backward pass on the batch. */
    record Trained(TrainableModel exact, TrainableModel fast, double exactLoss, double fastLoss) {
        static Trained on(Model model, int[] layers, Batch batch, boolean baseGradients) {
            TrainableModel exact = new TrainableModel(Base.dense(model), layers, LORA, Precision.FLOAT64, baseGradients);
            TrainableModel fast = new TrainableModel(Base.dense(model), layers, LORA, Precision.FLOAT32, false);
            Fixtures.randomiseB(exact, 4, 0.1);
            Fixtures.randomiseB(fast, 4, 0.1);
            return new Trained(exact, fast, exact.lossAndGradients(batch, 0), fast.lossAndGradients(batch, 0));
        }
    }

    static Map<String, double[]> gradients(List<Param> params) {
        Map<String, double[]> g = new LinkedHashMap<>();
        for (Param p : params) g.put(p.name(), p.grad());
        return g;
    }

    /** The largest |ours - theirs| / (largest |theirs| of the tensor) over every tensor of {@code ours}; each must have a gradient. */
    static double worst(Map<String, double[]> ours, JsonNode theirs) {
        double worst = 0;
        for (Map.Entry<String, double[]> e : ours.entrySet()) {
            JsonNode g = theirs.path(e.getKey());
            assertEquals(e.getValue().length, g.size(), e.getKey());
            double scale = 0;
            for (JsonNode v : g) scale = Math.max(scale, Math.abs(v.asDouble()));
            assertTrue(scale > 0, e.getKey() + " has a gradient");
            for (int j = 0; j < g.size(); j++) worst = Math.max(worst, Math.abs(e.getValue()[j] - g.get(j).asDouble()) / scale);
        }
        return worst;
    }

    /** Runs the reference script (resource path, then its leading arguments) on the batch with the params' values; returns its response. */
    static JsonNode run(List<String> script, Path modelDir, int[] layers, double alpha, Batch batch, List<Param> params, boolean base, Path tmp)
            throws IOException, InterruptedException, URISyntaxException {
        ObjectNode req = JSON.createObjectNode();
        req.put("model", modelDir.toAbsolutePath().toString());
        req.set("layers", JSON.valueToTree(layers));
        req.put("alpha", alpha);
        req.put("base", base);
        req.set("inputs", JSON.valueToTree(batch.inputs()));
        req.set("targets", JSON.valueToTree(batch.targets()));
        ObjectNode lora = req.putObject("lora");
        for (Param p : params) {
            ObjectNode t = lora.putObject(p.name());
            t.set("shape", JSON.valueToTree(p.shape()));
            double[] exact = new double[p.value().length]; // a float's shortest decimal would parse as a different double
            for (int i = 0; i < exact.length; i++) exact[i] = p.value()[i];
            t.set("values", JSON.valueToTree(exact));
        }
        return python(script, req, tmp);
    }

    /** Runs our Python script {@code script.getFirst()} (a test resource; then its arguments) on request {@code req}; its JSON response. */
    static JsonNode python(List<String> script, ObjectNode req, Path tmp) throws IOException, InterruptedException, URISyntaxException {
        Path in = tmp.resolve("request.json"), out = tmp.resolve("response.json");
        JSON.writeValue(in.toFile(), req);
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3", Path.of(TorchReferenceTest.class.getResource(script.getFirst()).toURI()).toString()));
        command.addAll(script.subList(1, script.size()));
        command.addAll(List.of(in.toString(), out.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IOException(script.getFirst() + " failed (is python3-torch installed?):\n" + log);
        return JSON.readTree(out.toFile());
    }
}
