package dev.shallow.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * A Mistral decoder of {@code shape}'s dimensions whose every layer attends over a sliding window of {@code window}
 * keys (a query sees itself and the window - 1 keys before it), for the {@code sliding} benchmark; the same weights
 * with {@code sliding_window: null} are the full-attention model it is compared with.
 */
public record SlidingShape(ModelShape shape, int window) {
    /** Contexts the benchmark prefills, in windows: 4W as the issue asks, 2W and 8W to show how the time per token scales. */
    public static final List<Integer> CONTEXT_WINDOWS = List.of(2, 4, 8);
    private static final int W = 1024;
    /**
     * Attention-heavy: per token and layer, attention does 4 x 256 FLOP per key seen (q.k and p.v over 4 heads of 64), 2.1M
     * with full attention at 4W (2W keys on average), against 2 x 655k = 1.3M in the projections and MLP; positions up to 8W.
     */
    public static final SlidingShape BENCH = new SlidingShape(
            new ModelShape("mistral-sliding-w" + W, 2, 256, 512, 4, 4, 512, CONTEXT_WINDOWS.getLast() * W, 10000.0, 1e-5), W);

    public SlidingShape {
        if (window <= 0 || (long) CONTEXT_WINDOWS.getLast() * window > shape.maxPositions()) {
            throw new IllegalArgumentException("sliding shape " + shape.name() + ": window " + window + " must be positive and "
                    + CONTEXT_WINDOWS.getLast() + " windows must fit its " + shape.maxPositions() + " positions");
        }
    }

    /** The prefilled contexts in tokens. */
    public List<Integer> contexts() {
        return CONTEXT_WINDOWS.stream().map(k -> k * window).toList();
    }

    /** A Hugging Face config.json (MistralForCausalLM): {@code sliding_window} = the window, or null (full attention). */
    public ObjectNode configJson(boolean sliding) {
        ObjectNode c = shape.configJson();
        c.putArray("architectures").add("MistralForCausalLM");
        c.put("model_type", "mistral");
        if (sliding) c.put("sliding_window", window);
        else c.putNull("sliding_window");
        return c;
    }

    /** Keys the queries of positions 0..tokens-1 see in all: sum_p min(p + 1, W) = n(n + 1)/2 + (tokens - n) W, n = min(tokens, W). */
    public long visibleKeys(int tokens) {
        long n = Math.min(tokens, window);
        return n * (n + 1) / 2 + (tokens - n) * window;
    }

    /** The attention work of sliding over full: visibleKeys(T) / sum_p (p + 1) = visibleKeys(T) / (T(T + 1)/2). */
    public double idealKeyRatio(int tokens) {
        return visibleKeys(tokens) / (tokens * (tokens + 1L) / 2.0);
    }
}
