package dev.shallow.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

class LambadaTaskTest {
    @Test
    void firstPassageIsCutAtItsLastSpace() {
        LambadaTask task = LambadaTask.load(fixtures().resolve("lambada_test.jsonl"));
        assertEquals(5, task.size());
        Request.Loglikelihood r = (Request.Loglikelihood) task.requests(0).getFirst();
        assertEquals("In my palm is a clear stone, and inside it is a small ivory statuette. A guardian angel.\n\n"
                + "\"Figured if you're going to be out at night getting hit by cars, you might as well have some backup.\"\n\n"
                + "I look at him, feeling stunned. Like this is some sort of sign. But as I stare at Harlin, his mouth curved "
                + "in a confident grin, I don't care about", r.context());
        assertEquals(" signs", r.continuation());
        assertEquals(r.context() + r.continuation(), task.describe(0).get("text"));
    }

    @Test
    void everyFixturePassageMatchesLlmFoundrysSplit() throws IOException {
        // llm-foundry's lambada_openai.jsonl holds the same passages as {context, continuation} with no space at the cut
        LambadaTask task = LambadaTask.load(fixtures().resolve("lambada_test.jsonl"));
        List<String> foundry = Files.readAllLines(fixtures().resolve("lambada_openai.jsonl"));
        for (int doc = 0; doc < task.size(); doc++) {
            Request.Loglikelihood r = (Request.Loglikelihood) task.requests(doc).getFirst();
            JsonNode row = new ObjectMapper().readTree(foundry.get(doc));
            assertEquals(row.get("context").textValue(), r.context());
            assertEquals(" " + row.get("continuation").textValue(), r.continuation());
        }
    }

    @Test
    void perplexityIsExpOfMinusMeanLogLikelihoodAndAccTheGreedyShare() {
        LambadaTask task = LambadaTask.load(fixtures().resolve("lambada_test.jsonl"));
        List<Map<String, Sample>> samples = List.of(
                task.score(0, List.of(new Response.Loglikelihood(-1.0, true))),
                task.score(1, List.of(new Response.Loglikelihood(-2.0, false))),
                task.score(2, List.of(new Response.Loglikelihood(-6.0, true))));
        assertEquals(List.of("perplexity", "acc"), task.metrics().stream().map(Metric::name).toList());
        assertEquals(List.of(false, true), task.metrics().stream().map(Metric::higherIsBetter).toList());
        assertEquals(Math.exp(3.0), aggregate(task, "perplexity", samples), 1e-12);
        assertEquals(2.0 / 3, aggregate(task, "acc", samples), 1e-12);
    }

    @Test
    void fullTestSetHas5153Passages() {
        assertEquals(5153, LambadaTask.load(TaskData.data().resolve("lambada/lambada_test.jsonl")).size());
    }

    @Test
    void badRowsAreOneLineErrorsNamingFileAndLine(@TempDir Path tmp) throws IOException {
        assertError(() -> LambadaTask.load(bad("truncated.jsonl")), "truncated.jsonl", "line 1", "no string field \"text\"");
        assertError(() -> LambadaTask.load(bad("missing_field.jsonl")), "missing_field.jsonl", "line 1", "\"text\"");
        assertError(() -> LambadaTask.load(bad("empty.jsonl")), "empty.jsonl", "empty");
        assertError(() -> LambadaTask.load(bad("not_utf8.txt")), "not_utf8.txt", "line 1", "UTF-8");
        assertError(() -> LambadaTask.load(tmp.resolve("absent.jsonl")), "absent.jsonl", "not found");
        Path rows = Files.writeString(tmp.resolve("rows.jsonl"), """
                {"text": "two words"}

                {"text": "oneword"}
                """);
        assertError(() -> LambadaTask.load(rows), "rows.jsonl", "line 3", "no space");
        Files.writeString(rows, "{\"text\": \"ends with \"}\n");
        assertError(() -> LambadaTask.load(rows), "line 1", "no last word");
        Files.writeString(rows, "[\"text\"]\n");
        assertError(() -> LambadaTask.load(rows), "line 1", "not a JSON object");
        Files.writeString(rows, "{\"text\": \"a b\"} {\"text\": \"c d\"}\n");
        assertError(() -> LambadaTask.load(rows), "line 1", "not valid JSON");
        Files.writeString(rows, "\n\n");
        assertError(() -> LambadaTask.load(rows), "rows.jsonl", "no rows");
    }
}
