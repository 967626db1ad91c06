package dev.shallow.eval.task;

import dev.shallow.eval.Task;
import dev.shallow.eval.TaskOptions;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.shallow.eval.task.TaskData.contexts;
import static dev.shallow.eval.task.TaskData.fixtures;
import static dev.shallow.eval.task.TaskData.gold;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Few-shot examples: MMLU's first dev rows; for the other tasks, other documents of the same file. */
class FewShotTest {
    static Task build(String name, int shots, long seed) {
        return MultipleChoiceTasks.build(name, new TaskOptions(fixtures(), shots, seed)).getFirst();
    }

    /** Document doc of a zero-shot task as a solved example: its context + its gold continuation. */
    static String solved(Task zeroShot, int doc) {
        int gold = gold(zeroShot, doc);
        return TaskData.requests(zeroShot, doc).get(gold).context() + TaskData.requests(zeroShot, doc).get(gold).continuation();
    }

    @Test
    void mmluTakesTheFirstDevRows() {
        String context = contexts(build("mmlu_astronomy", 1, 0), 0).getFirst();
        assertEquals("The following are multiple choice questions (with answers) about astronomy.\n\n"
                + "You are pushing a truck along a road. Would it be easier to accelerate this truck on Mars? Why? (Assume there is no friction)\n"
                + "A. It would be harder since the truck is heavier on Mars.\n"
                + "B. It would be easier since the truck is lighter on Mars.\n"
                + "C. It would be harder since the truck is lighter on Mars.\n"
                + "D. It would be the same no matter where you are.\n"
                + "Answer: D\n\n"
                + "What is true for a type-Ia (\"type one-a\") supernova?\n"
                + "A. This type occurs in binary systems.\n"
                + "B. This type occurs in young galaxies.\n"
                + "C. This type produces gamma-ray bursts.\n"
                + "D. This type produces high amounts of X-rays.\n"
                + "Answer:", context);
    }

    @Test
    void otherTasksDrawOtherDocumentsOfTheSameFile() {
        for (String name : List.of("arc_easy", "boolq", "copa", "hellaswag", "openbookqa", "piqa", "winogrande")) {
            Task zero = build(name, 0, 0), three = build(name, 3, 42);
            assertEquals(3, three.shots());
            for (int doc = 0; doc < three.size(); doc++) {
                List<String> parts = List.of(contexts(three, doc).getFirst().split("\n\n", -1));
                String own = contexts(zero, doc).getFirst();
                assertTrue(contexts(three, doc).getFirst().endsWith("\n\n" + own), name);
                Set<String> examples = new HashSet<>();
                for (int other = 0; other < zero.size(); other++) if (other != doc) examples.add(solved(zero, other));
                int shotCount = 0;
                for (String part : parts) if (examples.contains(part)) shotCount++;
                assertEquals(3, shotCount, name + " doc " + doc + ": three distinct other documents, solved");
                assertEquals(contexts(three, doc), contexts(build(name, 3, 42), doc), "same seed, same examples");
            }
        }
    }

    @Test
    void winograndeExamplesAreTheGoldContextAndTheContinuation() {
        Task one = build("winogrande", 1, 7);
        String context = contexts(one, 4).get(0);
        String example = context.substring(0, context.indexOf("\n\n"));
        assertTrue(Set.of("Sarah was a much better surgeon than Maria so Maria always got the easier cases.",
                "Sarah was a much better surgeon than Maria so Sarah always got the harder cases.",
                "They were worried the wine would ruin the bed and the blanket, but the bed was't ruined.",
                "Terry tried to bake the eggplant in the toaster oven but the eggplant was too big.").contains(example), example);
        assertEquals(example + "\n\nAt night, Jeffrey always stays up later than Hunter to watch TV because Hunter", contexts(one, 4).get(1));
    }

    @Test
    void theSeedChangesTheDraw() {
        Set<List<String>> draws = new HashSet<>();
        for (long seed = 0; seed < 8; seed++) draws.add(contexts(build("arc_easy", 2, seed), 0));
        assertTrue(draws.size() > 1);
        assertNotEquals(contexts(build("arc_easy", 2, 0), 0), contexts(build("arc_easy", 2, 0), 1));
    }
}
