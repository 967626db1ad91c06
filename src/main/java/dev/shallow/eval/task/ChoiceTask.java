package dev.shallow.eval.task;

import dev.shallow.eval.Task;

import java.util.List;

/**
 * A multiple-choice task from (context, choices, gold) items, scored the harness's way
 * ({@code lm_eval/api/task.py}, multiple_choice): a {@link MultipleChoiceTask} with no description, no few-shot
 * examples and no target delimiter, so each choice is one log-likelihood request with the item's context and the
 * choice as the continuation; {@code acc} only. Reads no file.
 */
public final class ChoiceTask {
    /** A context, its continuations exactly as scored (include any delimiter, e.g. " yes"), and the right one's index. */
    public record Item(String context, List<String> choices, int gold) {
        public Item {
            choices = List.copyOf(choices);
            if (gold < 0 || gold >= choices.size()) {
                throw new IllegalArgumentException("gold " + gold + " is not an index of the " + choices.size() + " choices");
            }
        }
    }

    private ChoiceTask() {
    }

    public static Task of(String name, List<Item> items) {
        if (items.isEmpty()) throw new IllegalArgumentException(name + ": no documents");
        List<Question> questions = items.stream().map(i -> new Question(i.context(), i.choices(), i.gold(),
                DocumentTask.fields("context", i.context(), "choices", i.choices(), "gold", i.gold()))).toList();
        FewShot none = new FewShot.FirstN(null, List.of()); // 0 shots: its file is never named
        return new MultipleChoiceTask(name, List.of(), questions, false, false, "", "", none, 0);
    }
}
