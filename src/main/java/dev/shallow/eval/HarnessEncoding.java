package dev.shallow.eval;

import dev.shallow.ShallowException;
import dev.shallow.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How lm-evaluation-harness turns request strings into tokens for a causal Hugging Face model
 * ({@code lm_eval/api/model.py} {@code _encode_pair}, {@code lm_eval/models/huggingface.py}, {@code lm_eval/utils.py}).
 * {@code addSpecialTokens} is the harness's {@code add_bos_token}: false (no BOS, the default up to
 * v0.4.9) or true (the tokenizer's template, e.g. BOS, on every encoding: v0.4.10+ when the tokenizer adds one).
 */
public record HarnessEncoding(Tokenizer tokenizer, boolean addSpecialTokens, int maxLength, int prefixToken) {

    /** The context and continuation tokens of a log-likelihood request: the model reads ctx + cont[..-1] and scores cont. */
    public record Pair(int[] context, int[] continuation) {
    }

    /** prefix token: BOS, else EOS ({@code HFLM.prefix_token_id}). */
    public static HarnessEncoding of(Tokenizer tokenizer, boolean addSpecialTokens, int maxLength) {
        int prefix = tokenizer.bosId().orElseGet(() -> tokenizer.eosId().orElseThrow(() ->
                ShallowException.at(tokenizer.file(), "has neither a BOS nor an EOS token to condition the first token on")));
        return new HarnessEncoding(tokenizer, addSpecialTokens, maxLength, prefix);
    }

    public int[] encode(String text) {
        return tokenizer.encode(text, addSpecialTokens);
    }

    /**
     * {@code _encode_pair}: trailing spaces of the context move to the continuation; the continuation is the
     * joint encoding minus the context's own token count. An empty context becomes the prefix token
     * (unless the continuation already starts with it) ({@code TemplateLM.loglikelihood}).
     */
    public Pair pair(String context, String continuation) {
        if (context.isEmpty()) {
            int[] cont = tokenizer.encode(continuation, false);
            if (cont.length > 0 && cont[0] == prefixToken) return new Pair(new int[]{cont[0]}, Arrays.copyOfRange(cont, 1, cont.length));
            return new Pair(new int[]{prefixToken}, cont);
        }
        int end = context.length();
        while (end > 0 && Character.isWhitespace(context.charAt(end - 1))) end--;
        String ctx = context.substring(0, end), cont = context.substring(end) + continuation;
        int[] whole = encode(ctx + cont), ctxIds = encode(ctx);
        return new Pair(ctxIds, Arrays.copyOfRange(whole, Math.min(ctxIds.length, whole.length), whole.length));
    }

    /**
     * The pieces a log-likelihood request is scored in: the one pair of {@link #pair}, or, for a continuation longer than
     * maxLength (where the harness stops with an assertion), pieces of maxLength continuation tokens, each conditioned on
     * everything before it (then cut to fit like any request), whose log-likelihoods add up.
     */
    public List<Pair> pieces(String context, String continuation) {
        Pair p = pair(context, continuation);
        if (p.continuation().length <= maxLength) return List.of(p);
        int[] all = Arrays.copyOf(p.context(), p.context().length + p.continuation().length);
        System.arraycopy(p.continuation(), 0, all, p.context().length, p.continuation().length);
        List<Pair> pieces = new ArrayList<>();
        for (int start = p.context().length; start < all.length; start += maxLength) {
            pieces.add(new Pair(Arrays.copyOf(all, start), Arrays.copyOfRange(all, start, Math.min(all.length, start + maxLength))));
        }
        return pieces;
    }

    /**
     * {@code get_rolling_token_windows} with context_len 1 then {@code make_disjoint_window}: windows of at most
     * maxLength predicted tokens; the first is conditioned on the prefix token, each later one on the tokens
     * before it that fill its input to maxLength (one token for a full window, more for a short last one).
     */
    public List<Pair> rollingWindows(String text) {
        int[] tokens = encode(text);
        List<Pair> windows = new ArrayList<>();
        int first = Math.min(maxLength, tokens.length);
        if (first == 0) return windows;
        windows.add(new Pair(new int[]{prefixToken}, Arrays.copyOf(tokens, first)));
        for (int predicted = first; predicted < tokens.length; ) {
            int len = Math.min(tokens.length - predicted, maxLength);
            int end = predicted + len;
            windows.add(new Pair(Arrays.copyOfRange(tokens, end - maxLength - 1, predicted), Arrays.copyOfRange(tokens, predicted, end)));
            predicted += len;
        }
        return windows;
    }

    /** The prompt of a generation request, left-truncated to leave room for maxTokens ({@code HFLM.generate_until}). */
    public int[] generationContext(String context, int maxTokens) {
        int room = maxLength - maxTokens;
        if (room <= 0) throw new ShallowException("cannot generate " + maxTokens + " tokens with a context of " + maxLength + " tokens");
        int[] ids = encode(context);
        return ids.length <= room ? ids : Arrays.copyOfRange(ids, ids.length - room, ids.length);
    }

    /** Stop strings: the request's plus the decoded EOS token ({@code handle_stop_sequences}). */
    public List<String> stopStrings(List<String> until) {
        List<String> stops = new ArrayList<>(until);
        tokenizer.eosId().ifPresent(eos -> {
            String s = tokenizer.decode(new int[]{eos}, false);
            if (!stops.contains(s)) stops.add(s);
        });
        return stops;
    }
}
