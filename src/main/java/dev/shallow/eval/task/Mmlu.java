package dev.shallow.eval.task;

import dev.shallow.ShallowException;
import dev.shallow.data.PythonText;
import dev.shallow.eval.TaskOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * MMLU from Hendrycks' CSVs ({@code question,A,B,C,D,answer}, no header), one task {@code mmlu_<subject>} per
 * {@code mmlu/test/<subject>_test.csv}, prompted as {@code lm_eval/tasks/mmlu/default/_default_template_yaml}:
 * the description "The following are multiple choice questions (with answers) about {subject, '_' read as ' '}.\n\n",
 * the first k rows of {@code mmlu/dev/<subject>_dev.csv} (sampler {@code first_n}) each as
 * "{question.strip()}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\nAnswer: {letter}" + "\n\n", then the test question up to
 * "Answer:"; choices " A" to " D"; acc only. k is 5 unless asked otherwise: the harness's yaml sets no
 * {@code num_fewshot} (0 unless asked), 5 is the usual MMLU setting and the most a dev split of 5 rows allows.
 */
final class Mmlu {
    static final int DEFAULT_SHOTS = 5;
    private static final String LETTERS = "ABCD";

    private Mmlu() {
    }

    /** The subjects with a test file under {@code dataDir}, in file-name order. */
    static List<String> subjects(Path dataDir) {
        Path dir = dataDir.resolve("mmlu/test");
        if (!Files.isDirectory(dir)) throw ShallowException.at(dir, "MMLU test folder not found");
        List<String> subjects = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String file = f.getFileName().toString();
                if (file.endsWith("_test.csv")) subjects.add(file.substring(0, file.length() - "_test.csv".length()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (subjects.isEmpty()) throw ShallowException.at(dir, "holds no <subject>_test.csv file");
        return subjects;
    }

    /** Task {@code mmlu_<subject>} from the files under {@code options.dataDir()}. */
    static MultipleChoiceTask task(String subject, TaskOptions options) {
        Path test = options.dataDir().resolve("mmlu/test/" + subject + "_test.csv");
        if (!MmluCategories.bySubject().containsKey(subject)) {
            throw ShallowException.at(test, "\"" + subject + "\" is not one of the 57 MMLU subjects of lm-evaluation-harness");
        }
        return task(subject, test, options.dataDir().resolve("mmlu/dev/" + subject + "_dev.csv"), options);
    }

    /** Task {@code mmlu_<subject>} from the given test and dev files. */
    static MultipleChoiceTask task(String subject, Path test, Path dev, TaskOptions options) {
        String description = "The following are multiple choice questions (with answers) about " + subject.replace('_', ' ') + ".\n\n";
        List<Question> questions = questions(test, subject);
        FewShot shots = new FewShot.FirstN(dev, questions(dev, subject));
        return new MultipleChoiceTask(MmluCategories.MMLU + "_" + subject, List.of(test, dev), questions,
                false, false, description, shots, options.shotsOr(DEFAULT_SHOTS));
    }

    private static List<Question> questions(Path file, String subject) {
        List<Question> questions = new ArrayList<>();
        for (Csv.Row row : Csv.read(file)) {
            List<String> f = row.fields();
            if (f.size() != 6) throw row.error("has " + f.size() + " fields, expected 6 (question,A,B,C,D,answer)");
            String answer = f.get(5);
            int gold = LETTERS.indexOf(answer);
            if (answer.length() != 1 || gold < 0) throw row.error("answer \"" + answer + "\" is not A, B, C or D");
            String text = PythonText.strip(f.get(0)) + "\nA. " + f.get(1) + "\nB. " + f.get(2) + "\nC. " + f.get(3) + "\nD. " + f.get(4) + "\nAnswer:";
            questions.add(new Question(text, List.of("A", "B", "C", "D"), gold,
                    DocumentTask.fields("question", f.get(0), "subject", subject, "choices", List.copyOf(f.subList(1, 5)), "answer", gold)));
        }
        return questions;
    }
}
