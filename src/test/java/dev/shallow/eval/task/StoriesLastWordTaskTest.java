package dev.shallow.eval.task;

import dev.shallow.eval.Request;
import dev.shallow.eval.task.GenerationTask.Pair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.shallow.eval.task.TaskData.assertError;
import static dev.shallow.eval.task.TaskData.bad;
import static org.junit.jupiter.api.Assertions.assertEquals;

class StoriesLastWordTaskTest {
    @Test
    void eachLaterSentenceEndingInAWordIsADocument() {
        String story = "Once upon a time, there was a dog. He liked the park. Yes. He ran fast. It was fun!\n\"Go,\" said Tom. The end";
        // not "dog" (the first sentence), "Yes" (right after a period), "fun" (no ". ") or "end" (no ". ")
        String fast = "Once upon a time, there was a dog. He liked the park. Yes. He ran";
        assertEquals(List.of(new Pair("Once upon a time, there was a dog. He liked the", "park"), new Pair(fast, "fast"),
                new Pair(fast + " fast. It was fun!\n\"Go,\" said", "Tom")), StoriesLastWordTask.pairs(story));
        assertEquals(List.of(), StoriesLastWordTask.pairs("One sentence only. "));
        assertEquals(List.of(), StoriesLastWordTask.pairs("No period at all"));
    }

    @Test
    void heldOutStoriesGive356Documents() {
        GenerationTask task = StoriesLastWordTask.load(TaskData.data().resolve("stories260K-samples/heldout.jsonl"));
        assertEquals("stories_last_word", task.name());
        assertEquals(356, task.size());
        Request.Generate r = (Request.Generate) task.requests(0).getFirst();
        assertEquals("Once upon a time, there was a little girl named Lily. She loved to play outside with her friends and", r.context());
        assertEquals(List.of(".", "\n"), r.until());
        assertEquals("Jack", task.describe(0).get("expected"));
    }

    @Test
    void badFilesAreOneLineErrors(@TempDir Path tmp) throws IOException {
        assertError(() -> StoriesLastWordTask.load(bad("missing_field.jsonl")), "missing_field.jsonl", "line 1", "\"text\"");
        Path none = Files.writeString(tmp.resolve("s.jsonl"), "{\"text\": \"One sentence.\"}\n");
        assertError(() -> StoriesLastWordTask.load(none), "s.jsonl", "no sentence");
    }
}
