package dev.shallow.eval.task;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Where a task's few-shot examples come from. */
sealed interface FewShot {
    /** The file the examples are read from, named when more are asked than it has. */
    Path file();

    /** The most examples a document can have. */
    int max();

    /** The {@code k} examples of document {@code doc}, in prompt order. */
    List<Question> examples(int doc, int k);

    /** The first k rows of a separate few-shot split, the same for every document (harness sampler {@code first_n}; MMLU's dev split). */
    record FirstN(Path file, List<Question> pool) implements FewShot {
        public int max() {
            return pool.size();
        }

        public List<Question> examples(int doc, int k) {
            return pool.subList(0, k);
        }
    }

    /**
     * k other documents of the evaluated file itself, for tasks whose training split is not in the data here: drawn
     * without replacement, document {@code doc} excluded, by a {@link SplittableRandom} seeded with
     * {@code seed * 0x9E3779B97F4A7C15 + doc}, so each document's examples depend only on the seed and its index.
     */
    record Drawn(Path file, List<Question> pool, long seed) implements FewShot {
        public int max() {
            return pool.size() - 1;
        }

        public List<Question> examples(int doc, int k) {
            SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + doc);
            List<Integer> picked = new ArrayList<>(k);
            while (picked.size() < k) {
                int i = random.nextInt(pool.size() - 1);
                if (i >= doc) i++;
                if (!picked.contains(i)) picked.add(i);
            }
            return picked.stream().map(pool::get).toList();
        }
    }
}
