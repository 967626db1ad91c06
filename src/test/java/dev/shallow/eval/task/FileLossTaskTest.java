package dev.shallow.eval.task;

import dev.shallow.data.Datasets;
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

class FileLossTaskTest {
    @Test
    void oneRollingRequestPerDocument(@TempDir Path tmp) throws IOException {
        Path text = Files.writeString(tmp.resolve("stories.txt"), "First story.\n<|endoftext|>\nSecond story.\n");
        FileLossTask task = FileLossTask.of(text, null);
        assertEquals("loss", task.name());
        assertEquals(2, task.size());
        assertEquals(List.of(new Request.Rolling("First story.")), task.requests(0));
        assertEquals(List.of(new Request.Rolling("Second story.")), task.requests(1));
        FileLossTask boolq = FileLossTask.of(fixtures().resolve("boolq.jsonl"), "query");
        assertEquals(5, boolq.size());
        assertEquals(List.of(text), task.files());
    }

    @Test
    void lossIsNatsPerTokenPooledOverDocuments(@TempDir Path tmp) throws IOException {
        FileLossTask task = FileLossTask.of(Files.writeString(tmp.resolve("a.jsonl"), "{\"text\": \"a\"}\n{\"text\": \"b\"}\n"), "text");
        List<Map<String, Sample>> samples = List.of(task.score(0, List.of(new Response.Rolling(-30, 10))),
                task.score(1, List.of(new Response.Rolling(-10, 30))));
        assertEquals(List.of("loss", "perplexity"), task.metrics().stream().map(Metric::name).toList());
        assertEquals(1.0, aggregate(task, "loss", samples), 1e-12); // 40 nats over 40 tokens, not the mean of 3 and 1/3
        assertEquals(Math.E, aggregate(task, "perplexity", samples), 1e-12);
    }

    @Test
    void namedDatasetsResolveToTheirFiles() {
        FileLossTask task = FileLossTask.of(Datasets.resolve("stories-heldout", null, TaskData.data()));
        assertEquals(50, task.size());
    }

    @Test
    void badFilesAreOneLineErrorsNamingFileAndLine(@TempDir Path tmp) {
        assertError(() -> FileLossTask.of(bad("truncated.jsonl"), "query"), "truncated.jsonl", "line 3", "not valid JSON");
        assertError(() -> FileLossTask.of(bad("truncated.jsonl"), null), "truncated.jsonl", "line 1", "no string field \"text\"");
        assertError(() -> FileLossTask.of(bad("missing_field.jsonl"), "choices"), "missing_field.jsonl", "line 1", "\"choices\"");
        assertError(() -> FileLossTask.of(bad("empty.jsonl"), null), "empty.jsonl", "empty");
        assertError(() -> FileLossTask.of(bad("not_utf8.txt"), null), "not_utf8.txt", "line 1", "not valid UTF-8");
        assertError(() -> FileLossTask.of(tmp.resolve("absent.txt"), null), "absent.txt", "not found");
    }
}
