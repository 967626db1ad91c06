package dev.shallow.eval.task;

import dev.shallow.ShallowException;
import dev.shallow.data.PythonText;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * HellaSwag validation from klosax's text file (llama.cpp's {@code --hellaswag} format): 6 lines an item,
 * "{activity_label}: {ctx}", the gold index 0-3, then the 4 endings.
 * <p>
 * The harness ({@code lm_eval/tasks/hellaswag/utils.py}) builds the query
 * {@code preprocess(activity_label + ": " + ctx_a + " " + ctx_b.capitalize())} and the choices
 * {@code preprocess(ending)}, where preprocess strips, turns " [title]" into ". ", deletes every {@code [...]}
 * and replaces "  " by " ". klosax's file already removed the tags and joined {@code ctx = ctx_a + " " + ctx_b}
 * without capitalising, so here:
 * <ul>
 * <li>ctx_b is taken to be the text after the last ". ", "! " or "? " of ctx (ctx_a is whole sentences, ctx_b the
 * start of the next one), and if it starts with a lower-case letter that letter is upper-cased (title case, as
 * Python's {@code capitalize} does). Python's {@code capitalize} also lower-cases the rest of ctx_b; that is not
 * done, because no such tail in the file holds an upper-case letter (so it would change nothing) and it would damage
 * the text wherever the guess of ctx_b is wrong. Measured on the file: 3,243 of 10,042 items get a capital
 * (the ActivityNet items, whose ctx_b is lower-case, e.g. "...on a roof. he" becomes "...on a roof. He"); the
 * others end in a full sentence or their tail starts with a capital, a digit or punctuation, which
 * {@code capitalize} leaves as it is.</li>
 * <li>the harness's preprocess is applied to the query and the endings as they are in the file; it changes the 18
 * items where klosax left a bracketed tag.</li>
 * </ul>
 * Not recoverable: an ending that began with a tag keeps a leading space in the harness (it strips before deleting
 * tags, so its continuation starts with two spaces); klosax trimmed that space.
 */
final class Hellaswag {
    private static final Pattern TAG = Pattern.compile("\\[.*?\\]");
    private static final int LINES = 6;

    private Hellaswag() {
    }

    static List<Question> questions(Path file) {
        List<String> lines = DataFiles.lines(file);
        List<Question> questions = new ArrayList<>();
        for (int first = 0; first < lines.size(); first += LINES) {
            int line = first + 1;
            if (first + LINES > lines.size()) {
                throw ShallowException.at(file, "line " + line + ": item " + (questions.size() + 1) + " is cut short: "
                        + (lines.size() - first) + " of its 6 lines (context, gold index, 4 endings)");
            }
            List<String> item = lines.subList(first, first + LINES);
            for (int i = 0; i < LINES; i++) if (item.get(i).isEmpty()) throw ShallowException.at(file, "line " + (line + i) + ": empty line inside an item");
            int colon = item.get(0).indexOf(": ");
            if (colon < 0) throw ShallowException.at(file, "line " + line + ": no \"activity_label: \" before the context");
            int gold = "0123".indexOf(item.get(1));
            if (item.get(1).length() != 1 || gold < 0) throw ShallowException.at(file, "line " + (line + 1) + ": gold index \"" + item.get(1) + "\" is not 0, 1, 2 or 3");
            List<String> endings = item.subList(2, LINES);
            List<String> choices = new ArrayList<>();
            for (int i = 0; i < endings.size(); i++) {
                choices.add(preprocess(endings.get(i)));
                if (choices.getLast().isEmpty()) throw ShallowException.at(file, "line " + (line + 2 + i) + ": ending is empty once preprocessed");
            }
            String label = item.get(0).substring(0, colon), ctx = item.get(0).substring(colon + 2);
            questions.add(new Question(preprocess(label + ": " + capitalizeLastFragment(ctx)), choices, gold,
                    DocumentTask.fields("activity_label", label, "ctx", ctx, "endings", List.copyOf(endings), "label", gold)));
        }
        return questions;
    }

    /** ctx with the first letter after its last sentence end upper-cased, if it is lower-case (see the class comment). */
    static String capitalizeLastFragment(String ctx) {
        for (int i = ctx.length() - 2; i >= 0; i--) {
            if (".!?".indexOf(ctx.charAt(i)) >= 0 && ctx.charAt(i + 1) == ' ') {
                int start = i + 2;
                if (start == ctx.length() || !Character.isLowerCase(ctx.codePointAt(start))) return ctx;
                int first = ctx.codePointAt(start);
                return ctx.substring(0, start) + Character.toString(Character.toTitleCase(first)) + ctx.substring(start + Character.charCount(first));
            }
        }
        return ctx;
    }

    /** The harness's {@code preprocess} ({@code lm_eval/tasks/hellaswag/utils.py}). */
    static String preprocess(String text) {
        String s = PythonText.strip(text).replace(" [title]", ". ");
        return TAG.matcher(s).replaceAll("").replace("  ", " ");
    }
}
