package dev.shallow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.eval.HarnessEncoding;

import java.util.ArrayList;
import java.util.IntSummaryStatistics;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Log-likelihood requests shaped like multiple-choice questions (MMLU 0-shot): each question is a context of
 * seeded random ids that each of its answers continues. The requests are the (context, answer) pairs, question
 * by question; Shallow may share each context's forward pass among its answers, PyTorch recomputes it.
 */
public record EvalWorkload(List<Question> questions) {
    public record Question(int[] context, List<int[]> answers) {
    }

    static EvalWorkload random(SplittableRandom rng, int vocab, Workload.Sizes s) {
        List<Question> questions = new ArrayList<>();
        for (int q = 0; q < s.evalQuestions(); q++) {
            int[] context = Workload.ids(rng, vocab, rng.nextInt(s.evalContextMin(), s.evalContextMax() + 1));
            List<int[]> answers = new ArrayList<>();
            for (int a = 0; a < s.evalChoices(); a++) answers.add(Workload.ids(rng, vocab, rng.nextInt(1, s.evalAnswerTokens() + 1)));
            questions.add(new Question(context, answers));
        }
        return new EvalWorkload(List.copyOf(questions));
    }

    /** Every (context, answer) pair, in order. */
    public List<HarnessEncoding.Pair> requests() {
        List<HarnessEncoding.Pair> pairs = new ArrayList<>();
        for (Question q : questions) for (int[] a : q.answers()) pairs.add(new HarnessEncoding.Pair(q.context(), a));
        return pairs;
    }

    /** The requests of the first question: the warm-up. */
    public List<HarnessEncoding.Pair> firstQuestion() {
        return requests().subList(0, questions.getFirst().answers().size());
    }

    public int size() {
        return questions.stream().mapToInt(q -> q.answers().size()).sum();
    }

    public String name() {
        return "eval_" + size() + "req";
    }

    /** "16 requests: 4 contexts of 246-313 tokens, each continued by 4 answers of 1 token". */
    public String describe() {
        IntSummaryStatistics contexts = questions.stream().mapToInt(q -> q.context().length).summaryStatistics();
        IntSummaryStatistics answers = questions.stream().flatMap(q -> q.answers().stream()).mapToInt(a -> a.length).summaryStatistics();
        return String.format("%d requests: %d contexts of %s, each continued by %d answers of %s", size(), questions.size(),
                tokens(contexts), questions.getFirst().answers().size(), tokens(answers));
    }

    /** "246-313 tokens", "1 token". */
    private static String tokens(IntSummaryStatistics s) {
        return s.getMin() == s.getMax() ? s.getMin() + (s.getMin() == 1 ? " token" : " tokens") : s.getMin() + "-" + s.getMax() + " tokens";
    }

    /** Tokens of the answers, all requests together. */
    public long answerTokens() {
        return questions.stream().flatMap(q -> q.answers().stream()).mapToLong(a -> a.length).sum();
    }

    /**
     * Tokens a forward reads when each context is computed once for all its answers: the context less its last token,
     * then per answer that last token and the answer less its last token.
     */
    public long sharedPrefixTokens() {
        return questions.stream().mapToLong(q -> q.context().length - 1).sum() + answerTokens();
    }

    /** [{"context": ids, "continuation": ids}, ...] in request order. */
    public ArrayNode toJson() {
        ObjectMapper json = new ObjectMapper();
        ArrayNode out = json.createArrayNode();
        for (HarnessEncoding.Pair p : requests()) {
            ObjectNode r = out.addObject();
            r.set("context", json.valueToTree(p.context()));
            r.set("continuation", json.valueToTree(p.continuation()));
        }
        return out;
    }
}
