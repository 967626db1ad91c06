package dev.shallow.eval.task;

import dev.shallow.eval.Task;
import dev.shallow.eval.TaskOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static dev.shallow.eval.task.TaskData.assertError;
import static dev.shallow.eval.task.TaskData.fixtures;
import static org.junit.jupiter.api.Assertions.assertEquals;

class TextTasksTest {
    @Test
    void namesAndFilesUnderEitherLayout() {
        assertEquals(List.of("lambada_openai", "wikitext", "gsm8k", "stories_last_word"), TextTasks.names());
        TaskOptions fixtures = new TaskOptions(fixtures(), TaskOptions.DEFAULT_SHOTS, 0);
        Task lambada = TextTasks.build("lambada_openai", fixtures);
        assertEquals(List.of(fixtures().resolve("lambada_test.jsonl")), lambada.files());
        assertEquals(5, lambada.size());
        assertEquals(2, TextTasks.build("wikitext", fixtures).size());
        Task gsm8k = TextTasks.build("gsm8k", new TaskOptions(fixtures(), 3, 0));
        assertEquals(3, gsm8k.shots());
        assertEquals(2, gsm8k.size());
        Task full = TextTasks.build("gsm8k", new TaskOptions(TaskData.data(), TaskOptions.DEFAULT_SHOTS, 0));
        assertEquals(List.of(TaskData.data().resolve("llm-foundry/gsm8k.jsonl")), full.files());
        assertEquals(5, full.shots());
        assertEquals(1314, full.size());
        assertEquals(356, TextTasks.build("stories_last_word", new TaskOptions(TaskData.data(), 0, 0)).size());
    }

    @Test
    void unknownNamesMissingFilesAndShotsOnZeroShotTasksAreErrors(@TempDir Path tmp) {
        TaskOptions empty = new TaskOptions(tmp, TaskOptions.DEFAULT_SHOTS, 0);
        assertError(() -> TextTasks.build("lambada_openai", empty), tmp.resolve("lambada/lambada_test.jsonl").toString(),
                "file not found, nor " + tmp.resolve("lambada_test.jsonl"));
        assertEquals(tmp.resolve("stories260K-samples/heldout.jsonl") + ": file not found",
                assertError(() -> TextTasks.build("stories_last_word", empty)).getMessage());
        assertError(() -> TextTasks.build("wikitext", empty), "wikitext-2/wiki.test.raw", "not found");
        assertError(() -> TextTasks.build("lambada", empty), "unknown task", "lambada_openai, wikitext, gsm8k, stories_last_word");
        assertError(() -> TextTasks.build("wikitext", new TaskOptions(fixtures(), 1, 0)), "wikitext", "no few-shot");
        assertError(() -> TextTasks.build("gsm8k", new TaskOptions(fixtures(), TaskOptions.DEFAULT_SHOTS, 0)), "gsm8k.jsonl", "none left");
    }
}
