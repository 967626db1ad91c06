package dev.shallow.eval.task;

import dev.shallow.eval.Sample;
import dev.shallow.eval.Task;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.shallow.eval.task.TaskData.fixture;
import static dev.shallow.eval.task.TaskData.lls;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** acc and acc_norm from hand-made log-likelihoods (lm_eval/api/task.py process_results). */
class ScoringTest {
    static double metric(Task t, int doc, String name, double... values) {
        return t.score(doc, lls(values)).get(name).value();
    }

    @Test
    void accAndAccNormDiffer() {
        // ARC-Easy row 2, gold 1: "safety goggles" (14 characters), "breathing mask" (14), "rubber gloves" (13), "lead apron" (10)
        Task t = fixture("arc_easy");
        Map<String, Sample> s = t.score(1, lls(-30, -14, -20, -13));
        assertEquals(List.of("acc", "acc_norm"), List.copyOf(s.keySet()));
        assertEquals(0, s.get("acc").value(), "-13 (lead apron) is the largest sum");
        assertEquals(1, s.get("acc_norm").value(), "-14/14 = -1.0 beats -13/10 = -1.3");
        assertEquals(1, s.get("acc").weight());
        assertEquals(1, metric(t, 1, "acc", -30, -13, -20, -14));
        assertEquals(0, metric(t, 1, "acc_norm", -30, -15, -20, -9), "-9/10 = -0.9 beats -15/14 = -1.07");
    }

    @Test
    void tiesGoToTheFirstChoice() {
        Task t = fixture("arc_easy");
        assertEquals(1, metric(t, 0, "acc", -5, -5, -5, -5), "gold 0 wins a four-way tie");
        assertEquals(0, metric(t, 1, "acc", -5, -5, -5, -5), "gold 1 loses a four-way tie to choice 0");
        assertEquals(0, metric(t, 1, "acc_norm", -14, -14, -100, -100), "14 and 14 characters: tie, choice 0");
    }

    @Test
    void mmluReportsAccOnly() {
        Task t = fixture("mmlu_astronomy");
        assertEquals(Map.of("acc", Sample.of(1)), t.score(0, lls(-1, -2, -3, -4)));
        assertEquals(Map.of("acc", Sample.of(0)), t.score(0, lls(-2, -1, -3, -4)));
    }

    @Test
    void winograndeComparesTheSharedContinuationUnderEachContext() {
        Task t = fixture("winogrande");
        assertEquals(Map.of("acc", Sample.of(1)), t.score(0, lls(-9, -8)));
        assertEquals(Map.of("acc", Sample.of(0)), t.score(0, lls(-8, -9)));
    }

    @Test
    void accNormDividesByCodePointsNotUtf16Units() {
        Question q = new Question("Q:", List.of("\uD83D\uDE00", "ab"), 1, Map.of());
        Task t = new MultipleChoiceTask("t", List.of(Path.of("x")), List.of(q, q), false, true, "",
                new FewShot.Drawn(Path.of("x"), List.of(q, q), 0), 0);
        // by code points: -1.5/1 = -1.5 < -2.5/2 = -1.25, so choice 1; by UTF-16 units -1.5/2 = -0.75 would pick choice 0
        assertEquals(1, metric(t, 0, "acc_norm", -1.5, -2.5));
    }

    @Test
    void wrongNumberOfResponsesIsAProgrammingError() {
        Task t = fixture("arc_easy");
        assertThrows(IllegalArgumentException.class, () -> t.score(0, lls(-1, -2)));
    }
}
