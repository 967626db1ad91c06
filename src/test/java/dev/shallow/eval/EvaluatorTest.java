package dev.shallow.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.Shared;
import dev.shallow.analysis.Progress;
import dev.shallow.eval.task.ChoiceTask;
import dev.shallow.eval.task.GenerationTask;
import dev.shallow.eval.task.TaskRegistry;
import dev.shallow.generate.Generator;
import dev.shallow.generate.Sampler;
import dev.shallow.model.Model;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whole evaluations on stories260K: tasks whose answers are the model's own greedy text score ~100%; MMLU scores near chance. */
class EvaluatorTest {
    static Model model;
    static Tokenizer tokenizer;
    static TransformerLM lm;
    static List<String> contexts = new ArrayList<>(), greedy = new ArrayList<>();

    /**
     * 40 passages of held-out stories (words 30 to 49: story openings are too alike) and the model's greedy 6-token continuation of each, from the Generator,
     * as text: the decoded whole minus the decoded context (decoding the continuation alone would drop its leading space).
     */
    @BeforeAll
    static void load() throws IOException {
        model = Model.load(Shared.model("stories260K"));
        tokenizer = Tokenizer.load(Shared.model("stories260K"));
        Transformer tf = new Transformer(model);
        lm = new TransformerLM(tf, HarnessEncoding.of(tokenizer, false, model.config().maxPositionEmbeddings()), 1024, PrefixSharing.heapShare());
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(Shared.root().resolve("data/stories260K-samples/heldout.jsonl"));
        for (String line : lines.subList(0, 40)) {
            String[] words = json.readTree(line).path("text").asText().split(" ");
            String context = String.join(" ", List.of(words).subList(30, 50));
            List<Integer> out = new ArrayList<>();
            int[] ids = tokenizer.encode(context, false);
            new Generator(tf).generate(ids, 6, Sampler.greedy(), -1, out::add);
            int[] whole = java.util.stream.IntStream.concat(java.util.Arrays.stream(ids), out.stream().mapToInt(Integer::intValue)).toArray();
            contexts.add(context);
            greedy.add(tokenizer.decode(whole, true).substring(tokenizer.decode(ids, true).length()));
        }
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static double score(Evaluator.TaskResult r, String metric) {
        return r.scores().stream().filter(s -> s.metric().name().equals(metric)).findFirst().orElseThrow().value();
    }

    /** Four choices: the model's own greedy continuation and three others' (gold rotates): the greedy one is the most likely. */
    @Test
    void ownGreedyContinuationWinsMultipleChoice() {
        List<ChoiceTask.Item> items = new ArrayList<>();
        for (int i = 0; i < contexts.size(); i++) {
            List<String> choices = new ArrayList<>();
            for (int k = 0; k < 4; k++) choices.add(greedy.get((i + k) % contexts.size()));
            int gold = i % 4;
            java.util.Collections.swap(choices, 0, gold);
            items.add(new ChoiceTask.Item(contexts.get(i), choices, gold));
        }
        Evaluator.TaskResult r = Evaluator.evaluate(lm, ChoiceTask.of("own_greedy", items), new Evaluator.Options(0, 1000), Progress.NONE);
        assertTrue(score(r, "acc") >= 0.95, "acc " + score(r, "acc"));
    }

    /** Generation reproduces the greedy continuation exactly (exact_match), batched through the harness's generate path. */
    @Test
    void generationReproducesGreedyText() {
        List<GenerationTask.Pair> pairs = new ArrayList<>();
        for (int i = 0; i < contexts.size(); i++) pairs.add(new GenerationTask.Pair(contexts.get(i), greedy.get(i)));
        Evaluator.TaskResult r = Evaluator.evaluate(lm, GenerationTask.of("own_greedy_gen", pairs, List.of(), 6),
                new Evaluator.Options(0, 1000), Progress.NONE);
        assertTrue(score(r, "exact_match") >= 0.95, "exact_match " + score(r, "exact_match"));
    }

    /**
     * stories260K knows nothing of MMLU: over the first 10 questions of every subject (570) accuracy is near chance,
     * 0.25 ± 4 standard errors (0.018 each), so the scoring favours no answer.
     */
    @Test
    void mmluIsNearChance() {
        TaskRegistry.Selection mmlu = TaskRegistry.resolve(List.of("mmlu"), new TaskOptions(Shared.root().resolve("data"), TaskOptions.DEFAULT_SHOTS, 1234), null, null);
        assertEquals(57, mmlu.tasks().size());
        Evaluator.Results results = Evaluator.evaluate(lm, mmlu.tasks(), mmlu.groups(), new Evaluator.Options(10, 1000), Progress.NONE);
        Evaluator.GroupResult all = results.groups().getLast();
        assertEquals("mmlu", all.group().name());
        assertEquals(570, all.size());
        double acc = all.scores().getFirst().value();
        assertTrue(Math.abs(acc - 0.25) < 4 * 0.018, "MMLU acc " + acc);
        assertEquals(5, results.groups().size(), "four categories and mmlu");
    }
}
