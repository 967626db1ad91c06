package dev.shallow.eval.task;

import dev.shallow.ShallowException;
import dev.shallow.data.DocumentSource.JsonLine;
import dev.shallow.eval.Task;
import dev.shallow.eval.TaskOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The multiple-choice tasks under their lm-evaluation-harness names, built from a data folder laid out like
 * {@code ../shared/data} or its {@code fixtures}. Every file is read and validated when a task is built.
 * <p>
 * Few-shot: the harness's default is 0 shots for every one of these tasks (no yaml sets {@code num_fewshot}); here
 * MMLU defaults to 5, the usual MMLU setting, from its dev split. The data here has no training split for the
 * others, so {@code --shots K} draws K other documents of the evaluated file ({@link FewShot.Drawn}), each written
 * as its own prompt + " " + its gold choice, joined by "\n\n".
 * <p>
 * ARC, BoolQ, COPA, OpenBookQA and WinoGrande exist here only as llm-foundry conversions; the harness's fields are
 * recovered from them as each builder's comment says.
 */
public final class MultipleChoiceTasks {
    /** The tasks read from an llm-foundry file, one question a row; acc_norm where the harness's yaml lists it. */
    private static final Map<String, LlmFoundry> LLM_FOUNDRY = Map.of(
            "arc_easy", new LlmFoundry("arc_easy.jsonl", MultipleChoiceTasks::arc, false, true),
            "arc_challenge", new LlmFoundry("arc_challenge.jsonl", MultipleChoiceTasks::arc, false, true),
            "boolq", new LlmFoundry("boolq.jsonl", MultipleChoiceTasks::boolq, false, false),
            "copa", new LlmFoundry("copa.jsonl", MultipleChoiceTasks::copa, false, false),
            "openbookqa", new LlmFoundry("openbook_qa.jsonl", MultipleChoiceTasks::openbookqa, false, true),
            "winogrande", new LlmFoundry("winogrande.jsonl", MultipleChoiceTasks::winogrande, true, false));
    /** llm-foundry writes every " question" of a BoolQ passage as "\nQuestion" (22 rows). */
    private static final Pattern BOOLQ_QUESTION_WORD = Pattern.compile("\nQuestion");
    private static final Pattern SENTENCE_END = Pattern.compile("[.!?]['\"`]*$");

    private MultipleChoiceTasks() {
    }

    /** An llm-foundry file (under {@code llm-foundry/}, or at the top of a fixtures folder), how a row gives a question, and the task's shape. */
    private record LlmFoundry(String file, Function<JsonLine, Question> question, boolean choicesInContext, boolean accNorm) {
    }

    /** Every name {@link #build} accepts: the single tasks, "mmlu", its four category groups and its 57 subject tasks. */
    public static List<String> names() {
        List<String> names = new ArrayList<>(LLM_FOUNDRY.keySet());
        names.add("hellaswag");
        names.add("piqa");
        names.sort(null);
        names.add(MmluCategories.MMLU);
        for (String category : MmluCategories.CATEGORIES) names.add(MmluCategories.groupName(category));
        for (String subject : MmluCategories.bySubject().keySet()) names.add(MmluCategories.MMLU + "_" + subject);
        return List.copyOf(names);
    }

    /**
     * The tasks a name stands for: one task, or for "mmlu" and "mmlu_stem" (and the other categories) every subject
     * task of theirs with a test file under {@code options.dataDir()}, in subject order.
     */
    public static List<Task> build(String name, TaskOptions options) {
        Path dir = options.dataDir();
        LlmFoundry foundry = LLM_FOUNDRY.get(name);
        if (foundry != null) return List.of(llmFoundry(name, DataFiles.find(dir, "llm-foundry/" + foundry.file(), foundry.file()), options));
        return switch (name) {
            case "piqa" -> {
                Path rows = DataFiles.find(dir, "piqa/valid.jsonl");
                yield List.of(piqa(rows, rows.resolveSibling("valid-labels.lst"), options));
            }
            case "hellaswag" -> List.of(hellaswag(DataFiles.find(dir, "hellaswag/hellaswag_val_full.txt", "hellaswag_val_full.txt"), options));
            default -> mmlu(name, options);
        };
    }

    private static List<Task> mmlu(String name, TaskOptions options) {
        String prefix = MmluCategories.MMLU + "_";
        if (name.startsWith(prefix) && MmluCategories.bySubject().containsKey(name.substring(prefix.length()))) {
            return List.of(Mmlu.task(name.substring(prefix.length()), options));
        }
        if (!names().contains(name)) throw new ShallowException("unknown multiple-choice task \"" + name + "\"");
        List<Task> tasks = new ArrayList<>();
        for (String found : Mmlu.subjects(options.dataDir())) {
            if (name.equals(MmluCategories.MMLU) || MmluCategories.group(prefix + found).filter(name::equals).isPresent()) tasks.add(Mmlu.task(found, options));
        }
        if (tasks.isEmpty()) throw ShallowException.at(options.dataDir().resolve("mmlu/test"), "no test file of a subject of " + name);
        return tasks;
    }

    /** Task {@code name} (a key of {@link #LLM_FOUNDRY}) from an llm-foundry file. */
    static MultipleChoiceTask llmFoundry(String name, Path file, TaskOptions options) {
        LlmFoundry foundry = LLM_FOUNDRY.get(name);
        List<Question> questions = DataFiles.jsonRows(file).stream().map(foundry.question()).toList();
        return withoutTrainingSplit(name, List.of(file), questions, foundry.choicesInContext(), foundry.accNorm(), options);
    }

    /** ARC ({@code lm_eval/tasks/arc/arc_easy.yaml}): "Question: {question}\nAnswer:", choices " {text}"; the question is llm-foundry's query minus "Question: " (and a final "\n", if any). */
    private static Question arc(JsonLine row) {
        String query = row.nonEmptyText("query");
        if (!query.startsWith("Question: ")) throw row.error("query does not start with \"Question: \"");
        String question = query.substring("Question: ".length(), query.length() - (query.endsWith("\n") ? 1 : 0));
        List<String> choices = row.texts("choices");
        int gold = row.index("gold", choices.size());
        return new Question("Question: " + question + "\nAnswer:", choices, gold, DocumentTask.fields("question", question, "choices", choices, "gold", gold));
    }

    /**
     * BoolQ ({@code lm_eval/tasks/super_glue/boolq/default.yaml}): "{passage}\nQuestion: {question}?\nAnswer:",
     * choices " no" (label 0) and " yes" (label 1); acc. llm-foundry's query is "Passage: {passage}\nQuestion:
     * {question}?" with choices ["no", "yes"], so its gold is the label. llm-foundry also turned every " question"
     * of a passage into "\nQuestion"; it is turned back into " question", or " Question" after a sentence end.
     */
    private static Question boolq(JsonLine row) {
        String query = row.nonEmptyText("query");
        int split = query.lastIndexOf("\nQuestion: ");
        if (!query.startsWith("Passage: ") || split < 0 || !query.endsWith("?")) throw row.error("query is not \"Passage: {passage}\\nQuestion: {question}?\"");
        if (!row.texts("choices").equals(List.of("no", "yes"))) throw row.error("choices are not [\"no\", \"yes\"]");
        String passage = restoreQuestionWord(query.substring("Passage: ".length(), split));
        String question = query.substring(split + "\nQuestion: ".length(), query.length() - 1);
        int label = row.index("gold", 2);
        return new Question(passage + "\nQuestion: " + question + "?\nAnswer:", List.of("no", "yes"), label,
                DocumentTask.fields("passage", passage, "question", question, "label", label));
    }

    /** The passage with each "\nQuestion" written back as " question", or " Question" after a sentence end. */
    private static String restoreQuestionWord(String passage) {
        Matcher m = BOOLQ_QUESTION_WORD.matcher(passage);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            boolean sentenceStart = SENTENCE_END.matcher(passage.substring(0, m.start())).find();
            m.appendReplacement(out, sentenceStart ? " Question" : " question");
        }
        return m.appendTail(out).toString();
    }

    /**
     * COPA ({@code lm_eval/tasks/super_glue/copa/utils.py}): text = premise without its last character + " because"
     * (cause) or " therefore" (effect); choices " " + the choice with its first letter lower-cased. The
     * continuation is the target delimiter + that choice, so it starts with two spaces, as in the harness. The text
     * is llm-foundry's query "{premise minus period}, because|therefore" without the comma.
     */
    private static Question copa(JsonLine row) {
        String query = row.nonEmptyText("query");
        String connector = query.endsWith(", because") ? "because" : query.endsWith(", therefore") ? "therefore" : null;
        if (connector == null) throw row.error("query does not end with \", because\" or \", therefore\"");
        String premise = query.substring(0, query.length() - connector.length() - 2);
        List<String> raw = row.texts("choices");
        if (raw.size() != 2) throw row.error("has " + raw.size() + " choices, expected 2");
        List<String> choices = raw.stream().map(c -> " " + lowerFirst(c)).toList();
        int label = row.index("gold", 2);
        return new Question(premise + " " + connector, choices, label, DocumentTask.fields("premise", premise,
                "question", connector.equals("because") ? "cause" : "effect", "choice1", raw.get(0), "choice2", raw.get(1), "label", label));
    }

    private static String lowerFirst(String s) {
        int first = s.codePointAt(0);
        return Character.toString(Character.toLowerCase(first)) + s.substring(Character.charCount(first));
    }

    /** OpenBookQA ({@code lm_eval/tasks/openbookqa/openbookqa.yaml}): text = question_stem (llm-foundry's query), choices " {text}"; acc and acc_norm. */
    private static Question openbookqa(JsonLine row) {
        String stem = row.nonEmptyText("query");
        List<String> choices = row.texts("choices");
        int gold = row.index("gold", choices.size());
        return new Question(stem, choices, gold, DocumentTask.fields("question_stem", stem, "choices", choices, "gold", gold));
    }

    /**
     * WinoGrande ({@code lm_eval/tasks/winogrande/preprocess_winogrande.py}), partial scoring: with i the index of
     * "_" in the sentence, the contexts are sentence[:i] + option1 / option2 (llm-foundry's context_options) and the
     * shared continuation " " + sentence[i+1:].strip() (" " + llm-foundry's continuation); acc.
     */
    private static Question winogrande(JsonLine row) {
        List<String> contexts = row.texts("context_options");
        if (contexts.size() != 2) throw row.error("has " + contexts.size() + " context_options, expected 2");
        String continuation = row.nonEmptyText("continuation");
        int gold = row.index("gold", 2);
        return new Question(continuation, contexts, gold, DocumentTask.fields("context_options", contexts, "continuation", continuation, "gold", gold));
    }

    /**
     * PIQA from the original release ({@code lm_eval/tasks/piqa/piqa.yaml}): "Question: {goal}\nAnswer:", choices
     * " {sol1}" / " {sol2}" with their trailing spaces, gold = line i of {@code labels} for JSON row i; acc and acc_norm.
     */
    static MultipleChoiceTask piqa(Path rowsFile, Path labelsFile, TaskOptions options) {
        List<JsonLine> rows = DataFiles.jsonRows(rowsFile);
        List<String> labels = DataFiles.lines(labelsFile);
        for (int i = 0; i < labels.size(); i++) {
            if (!labels.get(i).equals("0") && !labels.get(i).equals("1")) {
                throw ShallowException.at(labelsFile, "line " + (i + 1) + ": label \"" + labels.get(i) + "\" is not 0 or 1");
            }
        }
        if (labels.size() != rows.size()) throw ShallowException.at(labelsFile, labels.size() + " labels for the " + rows.size() + " rows of " + rowsFile);
        List<Question> questions = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            JsonLine row = rows.get(i);
            String goal = row.nonEmptyText("goal"), sol1 = row.nonEmptyText("sol1"), sol2 = row.nonEmptyText("sol2");
            int label = Integer.parseInt(labels.get(i));
            questions.add(new Question("Question: " + goal + "\nAnswer:", List.of(sol1, sol2), label, DocumentTask.fields("goal", goal, "sol1", sol1, "sol2", sol2, "label", label)));
        }
        return withoutTrainingSplit("piqa", List.of(rowsFile, labelsFile), questions, false, true, options);
    }

    /** HellaSwag from klosax's text file, see {@link Hellaswag}; acc and acc_norm. */
    static MultipleChoiceTask hellaswag(Path file, TaskOptions options) {
        return withoutTrainingSplit("hellaswag", List.of(file), Hellaswag.questions(file), false, true, options);
    }

    /** A task with no description, 0 shots by default and few-shot examples drawn from its own file. */
    private static MultipleChoiceTask withoutTrainingSplit(String name, List<Path> files, List<Question> questions,
                                                           boolean choicesInContext, boolean accNorm, TaskOptions options) {
        FewShot shots = new FewShot.Drawn(files.getFirst(), questions, options.seed());
        return new MultipleChoiceTask(name, files, questions, choicesInContext, accNorm, "", shots, options.shotsOr(0));
    }
}
