package dev.shallow.transformer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import dev.shallow.eval.LogProbs;
import dev.shallow.generate.Generator;
import dev.shallow.generate.Sampler;
import dev.shallow.model.Model;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Greedy continuations must equal greedy.json exactly (the reference's smallest top-2 logit gap is
 * 0.0045, 45x the logit tolerance, so float32 rounding cannot flip an argmax); mean loss equals
 * loss.json within 1e-4 nats (the logit tolerance carried through log-softmax).
 */
class GoldenGenerationTest {
    static JsonNode json(String model, String file) throws IOException {
        return new ObjectMapper().readTree(Shared.golden(model).resolve(file).toFile());
    }

    /** The golden models that have greedy.json and loss.json (all but tiny-qwen2-random). */
    static java.util.List<String> withGreedyAndLoss() {
        return Shared.goldenModels().stream().filter(m -> java.nio.file.Files.exists(Shared.golden(m).resolve("greedy.json"))).toList();
    }

    static int[] ints(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).asInt();
        return v;
    }

    @ParameterizedTest
    @MethodSource("withGreedyAndLoss")
    void greedyContinuationsMatch(String name) throws IOException {
        greedyMatches(name, Shared.model(name));
    }

    @org.junit.jupiter.api.Test
    void ggufContinuesAsTheGolden() throws IOException {
        greedyMatches("stories260K", Shared.root().resolve("real/stories260K-gguf/stories260K.gguf"));
    }

    /** The model at {@code path} (a directory or a GGUF file) continues golden {@code name}'s prompts greedily as it does. */
    static void greedyMatches(String name, java.nio.file.Path path) throws IOException {
        JsonNode g = json(name, "greedy.json");
        try (Model model = Model.load(path)) {
            Generator gen = new Generator(new Transformer(model));
            for (JsonNode run : g.path("runs")) {
                int[] got = gen.generate(ints(run.path("prompt_ids")), g.path("max_new_tokens").asInt(), Sampler.greedy(), -1, t -> { }).tokens();
                assertArrayEquals(ints(run.path("greedy_ids")), got, name + ": " + run.path("prompt").asText());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("withGreedyAndLoss")
    void meanLossMatches(String name) throws IOException {
        JsonNode loss = json(name, "loss.json");
        try (Model model = Model.load(Shared.model(name))) {
            Transformer tf = new Transformer(model);
            for (JsonNode c : loss.has("story") ? new JsonNode[]{loss, loss.path("story")} : new JsonNode[]{loss}) {
                int[] ids = ints(c.path("ids"));
                float[] logits = tf.forward(ids, tf.newCache(ids.length), true);
                assertEquals(c.path("mean_nll_nats").asDouble(), LogProbs.meanNll(logits, ids, model.config().vocabSize()), 1e-4);
            }
        }
    }
}
