package dev.shallow.eval.task;

import dev.shallow.ShallowException;
import dev.shallow.data.DocumentSource;
import dev.shallow.eval.task.GenerationTask.Pair;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Shallow's own generation task for small in-domain models, {@code stories_last_word}: LAMBADA's idea as greedy
 * generation on the held-out stories260K samples ({@code {"text"}} rows). Every sentence after a story's first
 * that ends in ". " with a word of plain letters, not right after a period, gives one document: the context is
 * the story up to that word (without the space before it), the expected text the word; generation stops at "."
 * or a newline, at most 8 tokens, scored by {@code exact_match} of the stripped texts.
 * <p>
 * Measured with Shallow's generator (BOS + context, greedy, stop at EOS) on the 356 documents of
 * {@code heldout.jsonl}: stories260K 124 right, stories-16L 83, stories-16L without layers 3-10 44.
 */
public final class StoriesLastWordTask {
    public static final String NAME = "stories_last_word";
    public static final List<String> UNTIL = List.of(".", "\n");
    public static final int MAX_TOKENS = 8;
    private static final Pattern WORD = Pattern.compile("[A-Za-z]+");

    private StoriesLastWordTask() {
    }

    public static GenerationTask load(Path file) {
        List<Pair> pairs = new ArrayList<>();
        for (String story : DocumentSource.jsonLines(file, row -> row.text("text"))) pairs.addAll(pairs(story));
        if (pairs.isEmpty()) throw ShallowException.at(file, "has no sentence after a story's first that ends in a word and \". \"");
        return new GenerationTask(NAME, 0, pairs, UNTIL, MAX_TOKENS, List.of(file));
    }

    /** The documents of one story. */
    static List<Pair> pairs(String story) {
        List<Pair> pairs = new ArrayList<>();
        int first = story.indexOf(". ");
        for (int end = first < 0 ? -1 : story.indexOf(". ", first + 2); end >= 0; end = story.indexOf(". ", end + 2)) {
            int space = story.lastIndexOf(' ', end - 1);
            String context = story.substring(0, space), word = story.substring(space + 1, end);
            if (WORD.matcher(word).matches() && !context.endsWith(".")) pairs.add(new Pair(context, word));
        }
        return pairs;
    }
}
