package dev.shallow.eval.task;

import dev.shallow.ShallowException;
import dev.shallow.eval.Task;
import dev.shallow.eval.TaskOptions;

import java.nio.file.Path;
import java.util.List;
import java.util.function.BiFunction;

/** The text tasks by harness name, each read from the first of its files that exists under the data folder. */
public final class TextTasks {
    /**
     * A task, where its file may be (the shared data layout first, then the fixtures'), whether it takes few-shot
     * examples, and how it is built.
     */
    private record Entry(String name, List<String> paths, boolean fewShot, BiFunction<Path, TaskOptions, Task> build) {
    }

    private static final List<Entry> ENTRIES = List.of(
            new Entry(LambadaTask.NAME, List.of("lambada/lambada_test.jsonl", "lambada_test.jsonl"), false,
                    (file, options) -> LambadaTask.load(file)),
            new Entry(WikiTextTask.NAME, List.of("wikitext-2/wiki.test.raw", "wiki.test.raw"), false,
                    (file, options) -> WikiTextTask.load(file)),
            new Entry(Gsm8kTask.NAME, List.of("llm-foundry/gsm8k.jsonl", "gsm8k.jsonl"), true,
                    (file, options) -> Gsm8kTask.load(file, options.shotsOr(Gsm8kTask.DEFAULT_SHOTS))),
            new Entry(StoriesLastWordTask.NAME, List.of("stories260K-samples/heldout.jsonl"), false,
                    (file, options) -> StoriesLastWordTask.load(file)));

    private TextTasks() {
    }

    public static List<String> names() {
        return ENTRIES.stream().map(Entry::name).toList();
    }

    /** Reads and checks the task's data now; a missing or malformed file is a one-line {@link ShallowException}. */
    public static Task build(String name, TaskOptions options) {
        Entry entry = ENTRIES.stream().filter(e -> e.name().equals(name)).findFirst()
                .orElseThrow(() -> new ShallowException("unknown task \"" + name + "\" (text tasks: " + String.join(", ", names()) + ")"));
        // lambada_openai.yaml and wikitext.yaml have no few-shot split: both are zero-shot, as is stories_last_word
        if (!entry.fewShot() && options.shotsOr(0) != 0) {
            throw new ShallowException(name + " takes no few-shot examples, got " + options.shots());
        }
        return entry.build().apply(DataFiles.find(options.dataDir(), entry.paths().toArray(String[]::new)), options);
    }
}
