package dev.shallow.bench;

import dev.shallow.eval.HarnessEncoding;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkloadTest {
    @Test
    void theStandardWorkloadHasTheNamedShapes() {
        Workload w = Workload.standard(32000, 0);
        assertEquals("prefill_1x128", w.promptName());
        assertEquals("prefill_1x512", w.longPromptName());
        assertEquals("prefill_8x256", w.batchName());
        assertEquals("eval_16req", w.eval().name());
        assertEquals("train_1x128", w.training().name());
        assertEquals(128, w.training().tokens());
        for (EvalWorkload.Question q : w.eval().questions()) {
            assertTrue(q.context().length >= 200 && q.context().length <= 400, "context of " + q.context().length);
            assertEquals(4, q.answers().size());
            q.answers().forEach(a -> assertEquals(1, a.length));
        }
        assertTrue(w.eval().describe().matches("16 requests: 4 contexts of \\d+-\\d+ tokens, each continued by 4 answers of 1 token"),
                w.eval().describe());
    }

    @Test
    void theOriginalPartsKeepTheirIdsWhenPartsAreAdded() {
        Workload w = Workload.standard(32000, 7);
        Workload again = Workload.random(32000, 7, Workload.Sizes.STANDARD);
        assertArrayEquals(w.prompt(), again.prompt());
        assertArrayEquals(w.batch(), again.batch());
        assertArrayEquals(w.eval().requests().getLast().context(), again.eval().requests().getLast().context());
    }

    @Test
    void evalRequestsShareEachQuestionsContext() {
        Workload w = Workload.random(100, 3, new Workload.Sizes(8, 16, 2, 8, 4, 2, 3, 4, 10, 20, 3, 1, 8));
        EvalWorkload e = w.eval();
        List<HarnessEncoding.Pair> requests = e.requests();
        assertEquals(12, e.size());
        assertEquals(12, requests.size());
        assertSame(requests.get(0).context(), requests.get(3).context());
        assertEquals(requests.subList(0, 4), e.firstQuestion());
        long contexts = 0, answers = 0;
        for (HarnessEncoding.Pair p : requests) {
            assertTrue(p.continuation().length >= 1 && p.continuation().length <= 3);
            answers += p.continuation().length;
        }
        for (EvalWorkload.Question q : e.questions()) contexts += q.context().length - 1;
        assertEquals(answers, e.answerTokens());
        assertEquals(contexts + answers, e.sharedPrefixTokens());
        assertEquals(12, e.toJson().size());
        assertTrue(e.describe().startsWith("12 requests: 3 contexts of "), e.describe());
    }
}
