package dev.shallow.data;

import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CalibrationSetTest {
    static final Tokenizer TOK = Tokenizer.load(Shared.model("stories260K"));
    static final int CONTEXT = 512, BOS = 1, EOS = 2;

    static CalibrationOptions opts(String data, int samples, int seqLen, boolean packing, long seed) {
        return new CalibrationOptions(data, "text", samples, seqLen, packing, true, true, seed);
    }

    static CalibrationSet load(CalibrationOptions o) {
        return CalibrationSet.load(o, TOK, CONTEXT, Shared.root().resolve("data"));
    }

    static Path bad(String name) {
        return Shared.root().resolve("data/fixtures/bad").resolve(name);
    }

    @Test
    void sameOptionsSameTokensOtherSeedOtherTokens() {
        CalibrationSet a = load(opts("stories", 8, 64, true, 0)), b = load(opts("stories", 8, 64, true, 0));
        assertArrayEquals(a.sequences(), b.sequences());
        assertEquals(a.tokenHash(), b.tokenHash());
        assertEquals(16, a.tokenHash().length());
        assertNotEquals(a.tokenHash(), load(opts("stories", 8, 64, true, 1)).tokenHash());
        // pinned: java.util.Random and the tokenizer are fully specified, so this holds on every machine
        assertEquals("cca406797fe24c0d", a.tokenHash());
        System.out.println("stories, 8 x 64 packed, seed 0: token_sha256 " + a.tokenHash());
    }

    /** Training text: BOS doc BOS doc ... cut into consecutive windows anywhere; the partial last window dropped. */
    @Test
    void packAllJoinsDocumentsAsTheTokenizerEncodesThem() {
        List<String> docs = List.of("Once upon a time, there was a cat.", "The dog ran to the park.", "Lily was happy.");
        int[] joined = docs.stream().flatMapToInt(d -> Arrays.stream(TOK.encode(d, true))).toArray();
        int[][] windows = CalibrationSet.packAll(docs, TOK, 8);
        assertEquals(joined.length / 8, windows.length);
        assertArrayEquals(Arrays.copyOf(joined, windows.length * 8), Arrays.stream(windows).flatMapToInt(Arrays::stream).toArray());
        assertEquals(BOS, windows[0][0]);
    }

    @Test
    void packingGivesFullWindowsWithBosAndEosBetweenDocuments() {
        CalibrationSet s = load(opts("stories", 10, 128, true, 0));
        assertEquals(10, s.sequences().length);
        int eos = 0;
        for (int[] seq : s.sequences()) {
            assertEquals(128, seq.length);
            assertEquals(BOS, seq[0]);
            for (int id : seq) if (id == EOS) eos++;
        }
        assertTrue(eos > 0, "documents of ~250 tokens are separated by EOS within 10 x 127 tokens");
        assertEquals(1280, s.tokens());
    }

    @Test
    void perDocumentTruncatesLongAndKeepsShortDocuments() {
        CalibrationSet s = load(opts("tinystories", 5, 300, false, 0));
        assertEquals(5, s.sequences().length);
        boolean shortKept = false, truncated = false;
        for (int[] seq : s.sequences()) {
            assertTrue(seq.length <= 300 && seq[0] == BOS);
            shortKept |= seq.length < 300;
            truncated |= seq.length == 300;
        }
        assertTrue(shortKept && truncated, "the 222-token story is kept whole, the 456-token one is cut");
        assertFalse(s.options().packing());
    }

    @Test
    void aSequenceLongerThanTheContextIsRefusedNotCut() {
        ShallowException e = assertThrows(ShallowException.class, () -> load(opts("stories", 2, 100_000, true, 0)));
        assertTrue(e.getMessage().contains("context of " + CONTEXT), e.getMessage());
        assertEquals(CONTEXT, load(opts("stories", 2, CONTEXT, true, 0)).options().seqLen());
    }

    @Test
    void fileOrderWithoutShuffle() {
        CalibrationOptions o = new CalibrationOptions("stories", "text", 1, 16, false, true, false, 0);
        int[] first = load(o).sequences()[0];
        String text = DocumentSource.ofFile(Shared.root().resolve("data/stories260K-samples/train.jsonl"), "text").read().get(0);
        int[] want = TOK.encode(text, true);
        assertArrayEquals(java.util.Arrays.copyOf(want, 16), first);
    }

    @Test
    void documentsOfEachFormat() {
        Path fixtures = Shared.root().resolve("data/fixtures");
        assertEquals(2, new DocumentSource(fixtures.resolve("wiki.test.raw"), TextFormat.WIKITEXT, null).read().size());
        assertEquals(5, new DocumentSource(Shared.root().resolve("data/tinystories/tinystories_sample.txt"), TextFormat.TEXT, null).read().size());
        assertEquals(5, DocumentSource.ofFile(fixtures.resolve("lambada_test.jsonl"), "text").read().size());
        assertEquals(5, DocumentSource.ofFile(fixtures.resolve("boolq.jsonl"), "query").read().size());
        assertEquals(62, new DocumentSource(Shared.root().resolve("data/wikitext-2/wiki.test.raw"), TextFormat.WIKITEXT, null).read().size());
    }

    static void assertError(Runnable r, String... parts) {
        ShallowException e = assertThrows(ShallowException.class, r::run);
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should mention " + p);
    }

    @Test
    void badInputIsAOneLineErrorNamingFileAndLine(@TempDir Path tmp) throws IOException {
        assertError(() -> load(opts(bad("nope.jsonl").toString(), 1, 16, true, 0)), "nope.jsonl", "not found");
        assertError(() -> load(opts(bad("empty.jsonl").toString(), 1, 16, true, 0)), "empty.jsonl", "empty");
        CalibrationOptions query = new CalibrationOptions(bad("truncated.jsonl").toString(), "query", 1, 16, true, true, true, 0);
        assertError(() -> load(query), "truncated.jsonl", "line 3", "JSON");
        assertError(() -> load(opts(bad("missing_field.jsonl").toString(), 1, 16, true, 0)), "missing_field.jsonl", "line 1", "\"text\"");
        assertError(() -> load(opts(bad("not_utf8.txt").toString(), 1, 16, true, 0)), "not_utf8.txt", "UTF-8");
        assertError(() -> load(opts("tinystories", 1000, 256, true, 0)), "tinystories_sample.txt", "tokens, fewer than");
        assertError(() -> load(opts("tinystories", 6, 256, false, 0)), "tinystories_sample.txt", "5 non-empty documents");
        Path blank = Files.writeString(tmp.resolve("blank.txt"), "\n \n");
        assertError(() -> load(opts(blank.toString(), 1, 16, true, 0)), "blank.txt", "no text");
    }
}
