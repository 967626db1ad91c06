package dev.shallow.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.analysis.Analysis;
import dev.shallow.generate.Generator;
import dev.shallow.generate.Sampler;
import dev.shallow.io.AtomicFiles;
import dev.shallow.io.StrictJson;
import dev.shallow.model.Model;
import dev.shallow.prune.LayerCount;
import dev.shallow.prune.Strategy;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.Transformer;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Greedy continuations of a fixed set of prompts at a few pruning levels (the angular strategy's block), so a reader
 * sees the model degrade: {@code generations.json} of a sweep.
 */
public final class Generations {
    public static final List<String> PROMPTS = List.of("Once upon a time", "Lily wanted to", "The capital of France is");
    /** Fractions of the layers removed; a level that would remove every layer is left out, as is one removing as many as the previous. */
    public static final List<String> FRACTIONS = List.of("0", "0.25", "0.5");
    public static final int MAX_TOKENS = 48;

    private Generations() {
    }

    public static List<Generation> of(Model model, Tokenizer tok, Analysis analysis) {
        int layers = model.config().numLayers();
        List<Generation> out = new ArrayList<>();
        int previous = -1;
        for (String f : FRACTIONS) {
            int n = LayerCount.round(new BigDecimal(f), layers);
            if (n >= layers || n == previous) continue;
            previous = n;
            int[] removed = n == 0 ? new int[0] : Strategy.ANGULAR.select(analysis, layers, n, 0).removed();
            Generator generator = new Generator(new Transformer(model, Transformer.without(layers, removed)));
            for (String prompt : PROMPTS) {
                int[] ids = tok.encode(prompt, true);
                int[] continuation = generator.generate(ids, MAX_TOKENS, Sampler.greedy(), tok.eosId().orElse(-1), t -> {
                }).tokens();
                int[] all = IntStream.concat(Arrays.stream(ids), Arrays.stream(continuation)).toArray();
                out.add(new Generation(f, n, Arrays.stream(removed).boxed().toList(), prompt, tok.decode(all, true)));
            }
        }
        return out;
    }

    public static void write(Path file, List<Generation> generations) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("strategy", Strategy.ANGULAR.cliName());
        o.put("max_tokens", MAX_TOKENS);
        o.put("sampling", "greedy, stopped at EOS");
        ArrayNode list = o.putArray("generations");
        for (Generation g : generations) {
            ObjectNode e = list.addObject();
            e.put("fraction", g.fraction());
            e.put("n", g.n());
            ArrayNode removed = e.putArray("removed");
            g.removed().forEach(removed::add);
            e.put("prompt", g.prompt());
            e.put("text", g.text());
        }
        AtomicFiles.writeJson(file, o);
    }

    public static List<Generation> read(Path file) {
        List<Generation> out = new ArrayList<>();
        for (JsonNode e : StrictJson.readObject(file).path("generations")) {
            List<Integer> removed = new ArrayList<>();
            e.path("removed").forEach(l -> removed.add(l.asInt()));
            out.add(new Generation(e.path("fraction").asText(), e.path("n").asInt(), removed, e.path("prompt").asText(), e.path("text").asText()));
        }
        return out;
    }
}
