package dev.shallow.eval.task;

import dev.shallow.ShallowException;
import dev.shallow.eval.TaskOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.shallow.eval.task.TaskData.bad;
import static dev.shallow.eval.task.TaskData.fixtures;
import static dev.shallow.eval.task.TaskData.options;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each malformed input fails when the task is built, with one line "FILE: row: problem". */
class BadDataTest {
    static final TaskOptions ZERO_SHOT = options(fixtures(), 0);

    static void assertError(Executable build, Path file, String... parts) {
        String message = assertThrows(ShallowException.class, build).getMessage();
        assertFalse(message.contains("\n"), message);
        assertTrue(message.startsWith(file + ": "), message);
        for (String part : parts) assertTrue(message.contains(part), "\"" + part + "\" missing from: " + message);
    }

    static void assertArcError(String file, String... parts) {
        assertError(() -> MultipleChoiceTasks.llmFoundry("arc_easy", bad(file), ZERO_SHOT), bad(file), parts);
    }

    static void assertMmluError(String file, String... parts) {
        Path dev = fixtures().resolve("mmlu/dev/astronomy_dev.csv");
        assertError(() -> Mmlu.task("astronomy", bad(file), dev, ZERO_SHOT), bad(file), parts);
    }

    @Test
    void jsonLines() {
        assertArcError("truncated.jsonl", "line 3: not valid JSON: ");
        assertArcError("missing_field.jsonl", "line 1: ", "\"choices\"");
        assertArcError("gold_out_of_range.jsonl", "line 1: \"gold\" 5 is not an index of the 2 choices");
        assertArcError("empty.jsonl", "is empty");
        assertArcError("not_utf8.txt", "line 1: not valid UTF-8");
    }

    @Test
    void jsonLinesWithoutRowsOrWithAKeyTwice(@TempDir Path tmp) throws IOException {
        Path blank = Files.writeString(tmp.resolve("blank.jsonl"), "\n \n");
        assertError(() -> MultipleChoiceTasks.llmFoundry("arc_easy", blank, ZERO_SHOT), blank, "holds no JSON rows");
        Path twice = Files.writeString(tmp.resolve("twice.jsonl"), "{\"query\": \"Question: a\", \"query\": \"Question: b\", \"choices\": [\"x\"], \"gold\": 0}\n");
        assertError(() -> MultipleChoiceTasks.llmFoundry("arc_easy", twice, ZERO_SHOT), twice, "line 1: not valid JSON: Duplicate field 'query'");
        Path emptyQuery = Files.writeString(tmp.resolve("empty_query.jsonl"), "{\"query\": \"\", \"choices\": [\"x\"], \"gold\": 0}\n");
        assertError(() -> MultipleChoiceTasks.llmFoundry("arc_easy", emptyQuery, ZERO_SHOT), emptyQuery, "line 1: no non-empty string field \"query\"");
    }

    @Test
    void mmluCsv() {
        assertMmluError("mmlu_missing_column.csv", "record 1 (line 1): has 5 fields, expected 6");
        assertMmluError("mmlu_answer_E.csv", "record 1 (line 1): answer \"E\" is not A, B, C or D");
        assertMmluError("mmlu_unterminated_quote.csv", "record 1 (line 1): a quoted field is never closed");
        assertMmluError("not_utf8.txt", "line 1: not valid UTF-8");
    }

    @Test
    void piqaLabels() {
        Path dir = bad("piqa_label_mismatch");
        assertError(() -> MultipleChoiceTasks.piqa(dir.resolve("valid.jsonl"), dir.resolve("valid-labels.lst"), ZERO_SHOT),
                dir.resolve("valid-labels.lst"), "line 3: label \"2\" is not 0 or 1");
    }

    @Test
    void piqaLabelCount(@TempDir Path tmp) throws IOException {
        Files.copy(bad("piqa_label_mismatch/valid.jsonl"), tmp.resolve("valid.jsonl"));
        Files.writeString(tmp.resolve("valid-labels.lst"), "0\n1\n1\n1\n");
        assertError(() -> MultipleChoiceTasks.piqa(tmp.resolve("valid.jsonl"), tmp.resolve("valid-labels.lst"), ZERO_SHOT),
                tmp.resolve("valid-labels.lst"), "4 labels for the 5 rows of " + tmp.resolve("valid.jsonl"));
    }

    @Test
    void hellaswagText() {
        assertError(() -> MultipleChoiceTasks.hellaswag(bad("hellaswag_truncated.txt"), ZERO_SHOT), bad("hellaswag_truncated.txt"),
                "line 7: item 2 is cut short: 5 of its 6 lines");
        assertError(() -> MultipleChoiceTasks.hellaswag(bad("hellaswag_label_4.txt"), ZERO_SHOT), bad("hellaswag_label_4.txt"),
                "line 2: gold index \"4\" is not 0, 1, 2 or 3");
    }

    @Test
    void missingFilesNameEveryPathLookedFor(@TempDir Path empty) {
        TaskOptions o = options(empty, 0);
        assertError(() -> MultipleChoiceTasks.build("arc_easy", o), empty.resolve("llm-foundry/arc_easy.jsonl"),
                "file not found, nor " + empty.resolve("arc_easy.jsonl"));
        assertError(() -> MultipleChoiceTasks.build("openbookqa", o), empty.resolve("llm-foundry/openbook_qa.jsonl"), "nor " + empty.resolve("openbook_qa.jsonl"));
        assertError(() -> MultipleChoiceTasks.build("piqa", o), empty.resolve("piqa/valid.jsonl"), "file not found");
        assertError(() -> MultipleChoiceTasks.build("mmlu", o), empty.resolve("mmlu/test"), "not found");
        assertError(() -> MultipleChoiceTasks.build("mmlu_anatomy", ZERO_SHOT), fixtures().resolve("mmlu/test/anatomy_test.csv"), "file not found");
        assertError(() -> MultipleChoiceTasks.build("mmlu_humanities", ZERO_SHOT), fixtures().resolve("mmlu/test"), "no test file of a subject of mmlu_humanities");
    }

    @Test
    void piqaLabelsMissing(@TempDir Path tmp) throws IOException {
        Files.createDirectories(tmp.resolve("piqa"));
        Files.copy(fixtures().resolve("piqa/valid.jsonl"), tmp.resolve("piqa/valid.jsonl"));
        assertError(() -> MultipleChoiceTasks.build("piqa", options(tmp, 0)), tmp.resolve("piqa/valid-labels.lst"), "file not found");
    }

    @Test
    void moreShotsThanExamples() {
        assertError(() -> MultipleChoiceTasks.build("mmlu_astronomy", options(fixtures(), 6)), fixtures().resolve("mmlu/dev/astronomy_dev.csv"),
                "mmlu_astronomy: 6 few-shot examples asked, at most 5 available");
        assertError(() -> MultipleChoiceTasks.build("copa", options(fixtures(), 5)), fixtures().resolve("copa.jsonl"),
                "copa: 5 few-shot examples asked, at most 4 available");
    }

    @Test
    void unknownTask() {
        String message = assertThrows(ShallowException.class, () -> MultipleChoiceTasks.build("mmlu_cooking", ZERO_SHOT)).getMessage();
        assertTrue(message.contains("unknown multiple-choice task \"mmlu_cooking\""), message);
    }

    @Test
    void unknownMmluSubjectFile(@TempDir Path tmp) throws IOException {
        Files.createDirectories(tmp.resolve("mmlu/test"));
        Files.writeString(tmp.resolve("mmlu/test/cooking_test.csv"), "q,a,b,c,d,A\n");
        assertError(() -> MultipleChoiceTasks.build("mmlu", options(tmp, 0)), tmp.resolve("mmlu/test/cooking_test.csv"),
                "\"cooking\" is not one of the 57 MMLU subjects");
    }
}
