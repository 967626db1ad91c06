package dev.shallow.eval.task;

import dev.shallow.eval.Task;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.shallow.eval.task.TaskData.contexts;
import static dev.shallow.eval.task.TaskData.data;
import static dev.shallow.eval.task.TaskData.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The full files under ../shared/data: row counts (data/PROVENANCE.md) and the recoveries measured on them. */
class FullDataTest {
    static List<Task> build(String name) {
        return MultipleChoiceTasks.build(name, options(data(), 0));
    }

    static Task one(String name) {
        return build(name).getFirst();
    }

    @Test
    void rowCounts() {
        Map<String, Integer> expected = Map.of("arc_easy", 2376, "arc_challenge", 1172, "boolq", 3270, "piqa", 1838,
                "winogrande", 1267, "hellaswag", 10042, "openbookqa", 500, "copa", 100);
        expected.forEach((name, rows) -> assertEquals(rows, one(name).size(), name));
    }

    @Test
    void everyNameBuilds() {
        List<String> names = MultipleChoiceTasks.names();
        assertEquals(8 + 5 + 57, names.size());
        assertEquals(List.of("arc_challenge", "arc_easy", "boolq", "copa", "hellaswag", "openbookqa", "piqa", "winogrande", "mmlu"), names.subList(0, 9));
        for (String name : names) assertFalse(build(name).isEmpty(), name);
    }

    @Test
    void mmluSubjectsAndGroups() {
        List<Task> all = build("mmlu");
        assertEquals(57, all.size());
        assertEquals(14042, all.stream().mapToInt(Task::size).sum());
        assertEquals(all.stream().map(Task::name).toList(), MmluCategories.bySubject().keySet().stream().map(s -> "mmlu_" + s).toList());
        Map<String, Integer> questions = Map.of("mmlu_stem", 3153, "mmlu_other", 3107, "mmlu_social_sciences", 3077, "mmlu_humanities", 4705);
        Map<String, Integer> subjects = Map.of("mmlu_stem", 19, "mmlu_other", 13, "mmlu_social_sciences", 12, "mmlu_humanities", 13);
        for (String group : questions.keySet()) {
            List<Task> tasks = build(group);
            assertEquals(subjects.get(group), tasks.size(), group);
            assertEquals(questions.get(group), tasks.stream().mapToInt(Task::size).sum(), group);
            for (Task t : tasks) assertEquals(group, MmluCategories.group(t.name()).orElseThrow());
        }
        assertTrue(MmluCategories.group("arc_easy").isEmpty());
        assertEquals(5, MultipleChoiceTasks.build("mmlu_sociology", options(data(), -1)).getFirst().shots());
    }

    @Test
    void mmluQuestionIsStrippedOfPythonWhitespace() {
        // sociology test row 70 ends in U+0085, which Python's str.strip() removes and Java's String.strip() keeps
        Task t = one("mmlu_sociology");
        assertEquals("Role-learning theory suggests that\u0085", t.describe(69).get("question"));
        assertEquals("The following are multiple choice questions (with answers) about sociology.\n\n"
                + "Role-learning theory suggests that\n"
                + "A. we internalise and take on social roles from a pre-existing framework\n"
                + "B. we create and negotiate our roles through interaction with others\n"
                + "C. social roles are not fixed or stable but fluid and pluralistic\n"
                + "D. roles have to be learned to suppress unconscious motivations\n"
                + "Answer:", contexts(t, 69).getFirst());
    }

    @Test
    void boolqPassagesGetTheirQuestionWordBack() {
        Task t = one("boolq");
        int restored = 0;
        for (int doc = 0; doc < t.size(); doc++) {
            String passage = (String) t.describe(doc).get("passage");
            assertFalse(passage.contains("\n"), "doc " + doc);
            if (passage.contains(" question") || passage.contains(" Question")) restored++;
        }
        assertEquals(22, restored, "the 22 rows where llm-foundry wrote \" question\" as \"\\nQuestion\"");
        assertTrue(((String) t.describe(2669).get("passage")).startsWith("Patrick is questioned by the police"));
        assertTrue(((String) t.describe(2417).get("passage")).contains("``Snakes in question: The Smithsonian Answer Book''"));
        assertTrue(((String) t.describe(3190).get("passage")).contains("Maybe.'' Questioned at the end of the fourth season"));
        assertTrue(contexts(t, 2669).getFirst().endsWith("\nQuestion: " + t.describe(2669).get("question") + "?\nAnswer:"));
    }

    @Test
    void hellaswagCapitalisesTheActivityNetFragments() {
        Task t = one("hellaswag");
        int capitalised = 0;
        for (int doc = 0; doc < t.size(); doc++) {
            Map<String, Object> d = t.describe(doc);
            if (!contexts(t, doc).getFirst().equals(Hellaswag.preprocess(d.get("activity_label") + ": " + d.get("ctx")))) capitalised++;
        }
        assertEquals(3243, capitalised);
    }
}
