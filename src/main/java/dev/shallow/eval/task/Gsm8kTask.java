package dev.shallow.eval.task;

import dev.shallow.ShallowException;
import dev.shallow.data.DocumentSource;
import dev.shallow.data.DocumentSource.JsonLine;
import dev.shallow.eval.Aggregation;
import dev.shallow.eval.Metric;
import dev.shallow.eval.Sample;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * lm-evaluation-harness {@code gsm8k} ({@code lm_eval/tasks/gsm8k/gsm8k.yaml}) on the GSM8K test set as
 * llm-foundry stores it ({@code {"context", "chain_of_thought", "answer"}}): prompt "Question: {question}\nAnswer:"
 * after the few-shot examples, each "Question: {question}\nAnswer: {answer}" + "\n\n" where {answer} is the
 * Hugging Face field = chain of thought + "\n#### " + final answer; greedy generation until "Question:", "</s>"
 * or "<|im_end|>", at most 256 tokens (the harness's default max_gen_toks). Scored by exact_match under the
 * harness's two filters, reported as {@code exact_match,strict-match} and {@code exact_match,flexible-extract}.
 * <p>
 * Deviation: the harness draws 5 examples at random (seed 1234) from the <em>train</em> split for each question;
 * train is not available here, so the examples are the first {@code shots} rows of the test file, the same for
 * every question, and only the rows after them are evaluated: document {@code i} is row {@code shots + i}, and
 * {@link #size()} is rows − shots.
 */
public final class Gsm8kTask extends GenerationTask {
    public static final String NAME = "gsm8k";
    public static final int DEFAULT_SHOTS = 5;
    public static final int MAX_TOKENS = 256;
    public static final List<String> UNTIL = List.of("Question:", "</s>", "<|im_end|>");
    public static final String STRICT_MATCH = "exact_match,strict-match", FLEXIBLE_EXTRACT = "exact_match,flexible-extract";

    /** A test row: the question, the worked solution (without its "#### n" line) and the final answer. */
    public record Problem(int line, String question, String chainOfThought, String answer) {
        static Problem of(JsonLine row) {
            Problem p = new Problem(row.line(), row.text("context"), row.text("chain_of_thought"), row.text("answer"));
            if (p.answer().isBlank()) throw row.error("\"answer\" is blank");
            return p;
        }

        /** doc_to_text: "Question: {{question}}\nAnswer:". */
        String prompt() {
            return "Question: " + question + "\nAnswer:";
        }

        /** doc_to_target "{{answer}}", Hugging Face's answer field: the solution, then "#### " and the number. */
        String target() {
            return chainOfThought + "\n#### " + answer;
        }
    }

    private final List<Problem> problems;

    private Gsm8kTask(int shots, List<Pair> pairs, List<Problem> problems, Path file) {
        super(NAME, shots, pairs, UNTIL, MAX_TOKENS, List.of(file));
        this.problems = List.copyOf(problems);
    }

    /** Reads and checks every row; the first {@code shots} rows become the few-shot examples. */
    public static Gsm8kTask load(Path file, int shots) {
        if (shots < 0) throw new IllegalArgumentException(NAME + ": shots must be >= 0, got " + shots);
        List<Problem> rows = DocumentSource.jsonLines(file, Problem::of);
        if (shots >= rows.size()) {
            throw ShallowException.at(file, "has " + rows.size() + " rows: none left to evaluate after the " + shots
                    + " few-shot examples taken from its first rows");
        }
        // fewshot_context (lm_eval/api/task.py): each example is text + target_delimiter " " + target + fewshot_delimiter "\n\n"
        StringBuilder examples = new StringBuilder();
        for (Problem p : rows.subList(0, shots)) examples.append(p.prompt()).append(' ').append(p.target()).append("\n\n");
        List<Problem> evaluated = rows.subList(shots, rows.size());
        List<Pair> pairs = evaluated.stream().map(p -> new Pair(examples + p.prompt(), p.target())).toList();
        return new Gsm8kTask(shots, pairs, evaluated, file);
    }

    /** Each filter's answer, compared with the target by the harness's exact_match. */
    @Override
    protected Map<String, Sample> score(String generated, String expected) {
        return Map.of(STRICT_MATCH, Sample.of(Gsm8kAnswer.exactMatch(Gsm8kAnswer.strict(generated), expected) ? 1 : 0),
                FLEXIBLE_EXTRACT, Sample.of(Gsm8kAnswer.exactMatch(Gsm8kAnswer.flexible(generated), expected) ? 1 : 0));
    }

    @Override
    public List<Metric> metrics() {
        return List.of(new Metric(STRICT_MATCH, Aggregation.MEAN, true), new Metric(FLEXIBLE_EXTRACT, Aggregation.MEAN, true));
    }

    /** The document as Hugging Face's openai/gsm8k holds it, and its line in the file. */
    @Override
    public Map<String, Object> describe(int doc) {
        Problem p = problems.get(doc);
        return fields("line", p.line(), "question", p.question(), "answer", p.target());
    }
}
