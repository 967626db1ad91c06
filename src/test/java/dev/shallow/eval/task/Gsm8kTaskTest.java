package dev.shallow.eval.task;

import dev.shallow.eval.Metric;
import dev.shallow.eval.Request;
import dev.shallow.eval.Response;
import dev.shallow.eval.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.shallow.eval.task.TaskData.aggregate;
import static dev.shallow.eval.task.TaskData.assertError;
import static dev.shallow.eval.task.TaskData.bad;
import static dev.shallow.eval.task.TaskData.fixtures;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Gsm8kTaskTest {
    private static final String JANET = "Question: Janet’s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes "
            + "muffins for her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh "
            + "duck egg. How much in dollars does she make every day at the farmers' market?\nAnswer: Janet sells 16 - 3 - 4 = "
            + "<<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day at the farmer’s market.\n#### 18";
    private static final String ROBE = "Question: A robe takes 2 bolts of blue fiber and half that much white fiber.  How many bolts "
            + "in total does it take?\nAnswer: It takes 2/2=<<2/2=1>>1 bolt of white fiber\nSo the total amount of fabric is "
            + "2+1=<<2+1=3>>3 bolts of fabric\n#### 3";
    private static final String JOSH = "Question: Josh decides to try flipping a house.  He buys a house for $80,000 and then puts in "
            + "$50,000 in repairs.  This increased the value of the house by 150%.  How much profit did he make?\nAnswer:";

    @Test
    void twoShotPromptIsTheHarnessFewShotContext() {
        Gsm8kTask task = Gsm8kTask.load(fixtures().resolve("gsm8k.jsonl"), 2);
        assertEquals(2, task.shots());
        assertEquals(3, task.size());
        Request.Generate r = (Request.Generate) task.requests(0).getFirst();
        assertEquals(JANET + "\n\n" + ROBE + "\n\n" + JOSH, r.context());
        assertEquals(List.of("Question:", "</s>", "<|im_end|>"), r.until());
        assertEquals(256, r.maxTokens());
        assertEquals(4, task.describe(1).get("line"));
        assertEquals("Josh decides to try flipping a house.  He buys a house for $80,000 and then puts in $50,000 in repairs.  "
                + "This increased the value of the house by 150%.  How much profit did he make?", task.describe(0).get("question"));
        assertTrue(((String) task.describe(0).get("answer")).endsWith("=$<<200000-130000=70000>>70,000\n#### 70000"));
    }

    @Test
    void zeroShotPromptIsTheQuestionAlone() {
        Gsm8kTask task = Gsm8kTask.load(fixtures().resolve("gsm8k.jsonl"), 0);
        assertEquals(5, task.size());
        assertEquals(JANET.substring(0, JANET.indexOf("\nAnswer:") + 8), ((Request.Generate) task.requests(0).getFirst()).context());
    }

    /** Expected answers are those of the harness's RegexFilter and exact_match (Python) on the same strings. */
    @Test
    void strictAndFlexibleExtraction() {
        check("She makes 1,234 dollars.\n#### 1,234", "1234", "1,234", true, "1,234", true);
        check("The answer is $18.", "18", Gsm8kAnswer.INVALID, false, "$18.", true);
        check("I don't know", "18", Gsm8kAnswer.INVALID, false, Gsm8kAnswer.INVALID, false);
        check("#### 18 and then 7", "18", "18", true, "7", false);
        check("-3 apples", "-3", Gsm8kAnswer.INVALID, false, "-3", true);
        check("#### 18.", "18", "18.", true, "18.", true);
        check("#### 2,125 boxes, 2 left.", "2,125", "2,125", true, "2", false);
        check("He pays $1.50 each, 3 times: $4.50.\n", "4.50", Gsm8kAnswer.INVALID, false, "$4.50.", true);
        check("18\n", "18", Gsm8kAnswer.INVALID, false, "18", true);
    }

    private static void check(String generated, String answer, String strict, boolean strictRight, String flexible, boolean flexibleRight) {
        String target = "Some working.\n#### " + answer;
        assertEquals(strict, Gsm8kAnswer.strict(generated));
        assertEquals(flexible, Gsm8kAnswer.flexible(generated));
        assertEquals(strictRight, Gsm8kAnswer.exactMatch(strict, target), generated);
        assertEquals(flexibleRight, Gsm8kAnswer.exactMatch(flexible, target), generated);
    }

    @Test
    void exactMatchIgnoresCaseCommasDollarsAndAFinalPeriod() {
        assertTrue(Gsm8kAnswer.exactMatch("$1,000.", "#### 1000"));
        assertTrue(Gsm8kAnswer.exactMatch("ABC", "x #### abc"));
        assertFalse(Gsm8kAnswer.exactMatch("1000.0", "#### 1000"));
        assertFalse(Gsm8kAnswer.exactMatch("[invalid]", "#### invalid"));
    }

    @Test
    void bothFiltersScoreEachGeneration() {
        Gsm8kTask task = Gsm8kTask.load(fixtures().resolve("gsm8k.jsonl"), 2);
        assertEquals(List.of(Gsm8kTask.STRICT_MATCH, Gsm8kTask.FLEXIBLE_EXTRACT), task.metrics().stream().map(Metric::name).toList());
        assertEquals(List.of("exact_match,strict-match", "exact_match,flexible-extract"), task.metrics().stream().map(Metric::name).toList());
        // doc 0 is Josh (70000), doc 1 James (540), doc 2 the fifth row
        List<Map<String, Sample>> samples = List.of(
                task.score(0, List.of(new Response.Generated(" He made 70,000 dollars.\n#### 70000\n\n"))),
                task.score(1, List.of(new Response.Generated(" 3*60 = 180 meters, 180*3 = 540 meters"))),
                task.score(2, List.of(new Response.Generated(" I am not sure."))));
        assertEquals(1.0 / 3, aggregate(task, Gsm8kTask.STRICT_MATCH, samples), 1e-12);
        assertEquals(2.0 / 3, aggregate(task, Gsm8kTask.FLEXIBLE_EXTRACT, samples), 1e-12);
    }

    @Test
    void fullTestSetHas1319Rows() {
        Path file = TaskData.data().resolve("llm-foundry/gsm8k.jsonl");
        assertEquals(1319, Gsm8kTask.load(file, 0).size());
        assertEquals(1319 - 5, Gsm8kTask.load(file, Gsm8kTask.DEFAULT_SHOTS).size());
    }

    @Test
    void badInputIsAOneLineError(@TempDir Path tmp) throws IOException {
        assertError(() -> Gsm8kTask.load(bad("truncated.jsonl"), 0), "truncated.jsonl", "line 1", "\"context\"");
        assertError(() -> Gsm8kTask.load(bad("empty.jsonl"), 0), "empty.jsonl", "empty");
        assertError(() -> Gsm8kTask.load(bad("not_utf8.txt"), 0), "not_utf8.txt", "line 1", "UTF-8");
        assertError(() -> Gsm8kTask.load(fixtures().resolve("gsm8k.jsonl"), 5), "gsm8k.jsonl", "5 rows", "none left");
        Path rows = Files.writeString(tmp.resolve("g.jsonl"), """
                {"context": "q", "chain_of_thought": "c", "answer": "1"}
                {"context": "q", "chain_of_thought": "c"}
                """);
        assertError(() -> Gsm8kTask.load(rows, 0), "g.jsonl", "line 2", "no string field \"answer\"");
        Files.writeString(rows, "{\"context\": \"q\", \"chain_of_thought\": \"c\", \"answer\": \" \"}\n");
        assertError(() -> Gsm8kTask.load(rows, 0), "line 1", "blank");
        assertThrows(IllegalArgumentException.class, () -> Gsm8kTask.load(rows, -1));
    }
}
