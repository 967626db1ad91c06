package dev.shallow.eval.task;

import dev.shallow.ShallowException;
import dev.shallow.eval.Aggregation;
import dev.shallow.eval.Metric;
import dev.shallow.eval.Request;
import dev.shallow.eval.Response;
import dev.shallow.eval.Sample;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A multiple-choice task scored as lm-evaluation-harness does ({@code lm_eval/api/task.py}, output type
 * {@code multiple_choice}). The context is the description, then each few-shot example as "text" + " " + its gold
 * choice followed by "\n\n" ({@code fewshot_delimiter}), then the document's text; each choice is one
 * {@link Request.Loglikelihood} whose continuation is " " ({@code target_delimiter}) + the choice. With choices in
 * the context (WinoGrande) each choice ends its own context and the continuation is " " + text, and a few-shot
 * example is the gold choice + " " + text. {@link ChoiceTask} has no target delimiter: its choices are the
 * continuations as given.
 * <p>
 * acc = 1 if the choice of highest summed log-likelihood is the gold one; acc_norm = the same with each
 * log-likelihood divided by {@code completion_len}, the choice's length in characters ({@code len(choice)} in
 * Python: Unicode code points of the choice without the target delimiter). Ties go to the first choice (numpy
 * {@code argmax}).
 */
final class MultipleChoiceTask extends DocumentTask<Question> {
    static final String TARGET_DELIMITER = " ", FEWSHOT_DELIMITER = "\n\n";
    static final Metric ACC = new Metric("acc", Aggregation.MEAN, true), ACC_NORM = new Metric("acc_norm", Aggregation.MEAN, true);

    private final boolean choicesInContext;
    private final boolean accNorm;
    private final String description;
    private final String targetDelimiter;
    private final FewShot fewShot;

    /**
     * @param choicesInContext the harness's multiple input: choices are contexts, the text the shared continuation
     * @param accNorm          whether acc_norm is reported besides acc
     * @param description      text before everything else ("" for none)
     */
    MultipleChoiceTask(String name, List<Path> files, List<Question> questions, boolean choicesInContext,
                       boolean accNorm, String description, FewShot fewShot, int shots) {
        this(name, files, questions, choicesInContext, accNorm, description, TARGET_DELIMITER, fewShot, shots);
    }

    /** @param targetDelimiter between a prompt and its continuation: {@link #TARGET_DELIMITER}, or "" for continuations given whole */
    MultipleChoiceTask(String name, List<Path> files, List<Question> questions, boolean choicesInContext,
                       boolean accNorm, String description, String targetDelimiter, FewShot fewShot, int shots) {
        if (shots < 0) throw new ShallowException(name + ": the number of few-shot examples cannot be negative (" + shots + ")");
        if (shots > fewShot.max()) {
            throw ShallowException.at(fewShot.file(), name + ": " + shots + " few-shot examples asked, at most " + fewShot.max() + " available");
        }
        super(name, shots, questions, files);
        this.choicesInContext = choicesInContext;
        this.accNorm = accNorm;
        this.description = description;
        this.targetDelimiter = targetDelimiter;
        this.fewShot = fewShot;
    }

    @Override
    public List<Request> requests(int doc) {
        Question q = document(doc);
        StringBuilder prefix = new StringBuilder(description);
        for (Question example : fewShot.examples(doc, shots())) prefix.append(example(example)).append(FEWSHOT_DELIMITER);
        List<Request> requests = new ArrayList<>();
        for (String choice : q.choices()) {
            requests.add(choicesInContext
                    ? new Request.Loglikelihood(prefix + choice, targetDelimiter + q.text())
                    : new Request.Loglikelihood(prefix + q.text(), targetDelimiter + choice));
        }
        return requests;
    }

    /** A solved example: the prompt and its gold answer joined by the target delimiter. */
    private String example(Question q) {
        return choicesInContext ? q.goldChoice() + targetDelimiter + q.text() : q.text() + targetDelimiter + q.goldChoice();
    }

    @Override
    public Map<String, Sample> score(int doc, List<Response> responses) {
        Question q = document(doc);
        int n = q.choices().size();
        if (responses.size() != n) throw new IllegalArgumentException(name() + " document " + doc + ": " + responses.size() + " responses to " + n + " requests");
        double[] ll = new double[n], normalised = new double[n];
        for (int i = 0; i < n; i++) {
            if (!(responses.get(i) instanceof Response.Loglikelihood r)) throw new IllegalArgumentException(name() + ": response " + i + " is not a log-likelihood");
            String choice = q.choices().get(i);
            ll[i] = r.logLikelihood();
            normalised[i] = ll[i] / choice.codePointCount(0, choice.length());
        }
        Map<String, Sample> samples = new LinkedHashMap<>();
        samples.put(ACC.name(), Sample.of(argmax(ll) == q.gold() ? 1 : 0));
        if (accNorm) samples.put(ACC_NORM.name(), Sample.of(argmax(normalised) == q.gold() ? 1 : 0));
        return samples;
    }

    /** Index of the largest value, the first on ties (numpy {@code argmax}). */
    static int argmax(double[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    @Override
    public List<Metric> metrics() {
        return accNorm ? List.of(ACC, ACC_NORM) : List.of(ACC);
    }

    @Override
    public Map<String, Object> describe(int doc) {
        return document(doc).fields();
    }
}
