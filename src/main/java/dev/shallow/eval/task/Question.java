package dev.shallow.eval.task;

import java.util.List;
import java.util.Map;

/**
 * One multiple-choice document in lm-evaluation-harness's terms ({@code lm_eval/api/task.py}): {@code text} is
 * {@code doc_to_text}, {@code choices} {@code doc_to_choice} and {@code gold} the index of the right choice. For a
 * task whose choices go in the context (WinoGrande's partial scoring, the harness's "multiple input"),
 * {@code choices} are the contexts and {@code text} the continuation they share.
 *
 * @param fields the document as read, for {@code --log-samples}
 */
record Question(String text, List<String> choices, int gold, Map<String, Object> fields) {
    Question {
        choices = List.copyOf(choices);
    }

    String goldChoice() {
        return choices.get(gold);
    }
}
