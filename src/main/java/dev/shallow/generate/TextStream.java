package dev.shallow.generate;

import dev.shallow.tokenizer.Tokenizer;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * A prompt and its continuation printed as tokens arrive, never revised, and in the end exactly the decoded text of all the
 * tokens. Text is held back while it may still change: a run of byte-fallback tokens ({@code <0xE6>}) decodes as a whole
 * (Hugging Face's ByteFallback turns every byte of an invalid run into U+FFFD, so a later byte can change earlier text),
 * and a trailing U+FFFD may be the start of a character whose other bytes have not come yet. {@link #finish} prints the rest.
 */
public final class TextStream {
    private static final char REPLACEMENT = '\uFFFD';

    private final Tokenizer tok;
    private final PrintStream out;
    /** The ids of the byte-fallback tokens {@code <0x00>} to {@code <0xFF>} the vocabulary has. */
    private final Set<Integer> byteTokens = new HashSet<>();
    private int[] ids;
    private int count;
    /** Tokens before the current run of byte tokens: their text is final. */
    private int settled;
    private String shown;

    /** Prints the text of {@code prompt} (ids with their special tokens) and gets ready for its continuation. */
    public TextStream(Tokenizer tok, int[] prompt, PrintStream out) {
        this.tok = tok;
        this.out = out;
        this.ids = prompt.clone();
        this.count = prompt.length;
        this.settled = count;
        this.shown = "";
        for (int b = 0; b < 256; b++) tok.idOf(String.format(Locale.ROOT, "<0x%02X>", b)).ifPresent(byteTokens::add);
        show(settledText());
    }

    /** Adds a generated token and prints whatever text is now final. */
    public void add(int token) {
        if (count == ids.length) ids = Arrays.copyOf(ids, Math.max(16, 2 * count));
        ids[count++] = token;
        if (!byteTokens.contains(token)) settled = count;
        show(settledText());
    }

    /** Prints the rest: the text of all tokens, as decoded. */
    public void finish() {
        String all = tok.decode(Arrays.copyOf(ids, count), true);
        if (all.startsWith(shown)) show(all);
        else out.print("\n" + all); // a decoder that rewrote earlier text (never seen): the whole text again, complete
        out.println();
        out.flush();
    }

    /** The text of the settled tokens without a trailing U+FFFD run (perhaps a character still incomplete). */
    private String settledText() {
        String text = tok.decode(Arrays.copyOf(ids, settled), true);
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == REPLACEMENT) end--;
        return text.substring(0, end);
    }

    private void show(String text) {
        if (text.length() <= shown.length() || !text.startsWith(shown)) return;
        out.print(text.substring(shown.length()));
        out.flush();
        shown = text;
    }
}
