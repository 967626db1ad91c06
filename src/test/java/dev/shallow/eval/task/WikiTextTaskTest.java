package dev.shallow.eval.task;

import dev.shallow.eval.Metric;
import dev.shallow.eval.Request;
import dev.shallow.eval.Response;
import dev.shallow.eval.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static dev.shallow.eval.task.TaskData.aggregate;
import static dev.shallow.eval.task.TaskData.assertError;
import static dev.shallow.eval.task.TaskData.bad;
import static dev.shallow.eval.task.TaskData.fixtures;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WikiTextTaskTest {
    /** Expected outputs are those of the harness's own wikitext_detokenizer (Python) on the same strings. */
    @Test
    void detokenizerAppliesEveryHarnessReplacement() {
        assertEquals("The dog's bone costs 1,000 dollars; it weighs 2.5 kg. Well-known !",
                WikiTextDetokenizer.detokenize("The dog 's bone costs 1 @,@ 000 dollars ; it weighs 2 @.@ 5 kg . Well @-@ known !"));
        assertEquals("(a b) [c] {d} \"e\" 'f'", WikiTextDetokenizer.detokenize("( a b ) [ c ] { d } \" e \" ' f '"));
        assertEquals(" === History ===\n\nText\n", WikiTextDetokenizer.detokenize(" = = = History = = = \n \n Text \n"));
        assertEquals(" ==== Deep ==== ", WikiTextDetokenizer.detokenize(" = = = = Deep = = = = "));
        assertEquals("The players' shirts", WikiTextDetokenizer.detokenize("The players ' shirts"));
        assertEquals("It was 20°C: cold? No, warm .", WikiTextDetokenizer.detokenize("It was 20 ° C : cold ? No , warm ."));
        assertEquals("scored 1 points", WikiTextDetokenizer.detokenize("scored N points"));
        assertEquals("He said \"hi\" and 'bye', then (left) .",
                WikiTextDetokenizer.detokenize("He said \" hi \" and ' bye ' , then ( left ) ."));
        // the harness's re.sub writes its replacement "/'[0-9]/" literally
        assertEquals("a/'[0-9]/b", WikiTextDetokenizer.detokenize("a/' 5/b"));
        // Python's \s includes the no-break space
        assertEquals("(x)", WikiTextDetokenizer.detokenize("(\u00A0x\u00A0)"));
    }

    @Test
    void fixtureSplitsIntoItsTwoArticlesWithHarnessCounts() throws IOException {
        Path file = fixtures().resolve("wiki.test.raw");
        WikiTextTask task = WikiTextTask.load(file);
        assertEquals(2, task.size());
        // independently: line 1 is " " before the first heading (a blank page, dropped); " = Du Fu = " is line 33;
        // pages are lines joined by "\n", the last one keeping the file's final newline
        List<String> lines = Files.readAllLines(file);
        assertEquals(" = Du Fu = ", lines.get(32));
        List<String> pages = List.of(String.join("\n", lines.subList(1, 32)), String.join("\n", lines.subList(32, 37)) + "\n");
        for (int doc = 0; doc < 2; doc++) {
            String page = pages.get(doc);
            Map<String, Object> d = task.describe(doc);
            assertEquals(page, d.get("page"));
            // both pages start with a space and end with whitespace: two empty fields besides the words
            assertEquals(page.strip().split("[ \n]+").length + 2, d.get("words"));
            assertEquals(page.getBytes(StandardCharsets.UTF_8).length, d.get("bytes"));
            assertEquals(WikiTextDetokenizer.detokenize(page), ((Request.Rolling) task.requests(doc).getFirst()).text());
        }
        // the harness's preprocess_wikitext.process_results on this file (Python): words 1093 and 212, bytes 5667 and 1048
        assertEquals(List.of(1093, 212), List.of(task.describe(0).get("words"), task.describe(1).get("words")));
        assertEquals(List.of(5667, 1048), List.of(task.describe(0).get("bytes"), task.describe(1).get("bytes")));
        assertEquals(Files.size(file) - 3, 5667 + 1048); // minus the dropped " \n" and the "\n" before " = Du Fu = "
        String du = ((Request.Rolling) task.requests(1).getFirst()).text();
        assertTrue(du.startsWith(" = Du Fu =\n\nDu Fu (Wade – Giles: Tu Fu; Chinese: 杜甫; 712 – 770) was a prominent"), du);
        assertTrue(du.endsWith("Wordsworth, Béranger, Hugo or Baudelaire\".\n\n"), du);
    }

    @Test
    void fullTestFileMatchesTheHarnessPageForPage() throws NoSuchAlgorithmException {
        WikiTextTask task = WikiTextTask.load(TaskData.data().resolve("wikitext-2/wiki.test.raw"));
        assertEquals(62, task.size());
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long words = 0, bytes = 0;
        for (int doc = 0; doc < task.size(); doc++) {
            sha.update((((Request.Rolling) task.requests(doc).getFirst()).text() + "\0").getBytes(StandardCharsets.UTF_8));
            words += (int) task.describe(doc).get("words");
            bytes += (int) task.describe(doc).get("bytes");
        }
        // from the Hugging Face script's pages and the harness's Python functions on the same file:
        // sha256 of every wikitext_detokenizer(page) + "\0", and the summed counts
        assertEquals("da61ba76b9daa5d5964a4e797206bb65bee7dd401fdbc16a83072f8cb94e08db", HexFormat.of().formatHex(sha.digest()));
        assertEquals(241_335, words);
        assertEquals(1_290_527, bytes);
    }

    @Test
    void perplexitiesPoolLogLikelihoodOverWordsAndBytes() {
        WikiTextTask task = WikiTextTask.load(fixtures().resolve("wiki.test.raw"));
        List<Map<String, Sample>> samples = List.of(task.score(0, List.of(new Response.Rolling(-2000, 1500))),
                task.score(1, List.of(new Response.Rolling(-500, 300))));
        assertEquals(List.of("word_perplexity", "byte_perplexity", "bits_per_byte"), task.metrics().stream().map(Metric::name).toList());
        assertTrue(task.metrics().stream().noneMatch(Metric::higherIsBetter));
        assertEquals(Math.exp(2500.0 / (1093 + 212)), aggregate(task, "word_perplexity", samples), 1e-9);
        assertEquals(Math.exp(2500.0 / (5667 + 1048)), aggregate(task, "byte_perplexity", samples), 1e-12);
        assertEquals(2500.0 / (5667 + 1048) / Math.log(2), aggregate(task, "bits_per_byte", samples), 1e-12);
    }

    @Test
    void badFilesAreOneLineErrors(@TempDir Path tmp) throws IOException {
        assertError(() -> WikiTextTask.load(bad("not_utf8.txt")), "not_utf8.txt", "line 1", "UTF-8");
        assertError(() -> WikiTextTask.load(bad("empty.jsonl")), "empty.jsonl", "empty");
        assertError(() -> WikiTextTask.load(tmp.resolve("wiki.test.raw")), "wiki.test.raw", "not found");
        Path blank = Files.writeString(tmp.resolve("blank.raw"), " \n \n");
        assertError(() -> WikiTextTask.load(blank), "blank.raw", "no text");
    }
}
