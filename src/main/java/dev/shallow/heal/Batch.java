package dev.shallow.heal;

/**
 * Token sequences to train on (each of any length, no padding) and, per position, the id the
 * model should predict there or {@link #IGNORE}.
 */
public record Batch(int[][] inputs, int[][] targets) {
    public static final int IGNORE = -1;

    public Batch {
        if (inputs.length == 0 || inputs.length != targets.length) {
            throw new IllegalArgumentException("a batch needs one target row per input sequence and at least one sequence");
        }
        for (int b = 0; b < inputs.length; b++) {
            if (inputs[b].length == 0 || inputs[b].length != targets[b].length) {
                throw new IllegalArgumentException("sequence " + b + " is empty or its targets differ in length");
            }
        }
    }

    /** Causal language modelling: position t predicts token t + 1; the last position predicts nothing. */
    public static Batch nextToken(int[][] sequences) {
        int[][] targets = new int[sequences.length][];
        for (int b = 0; b < sequences.length; b++) {
            int[] s = sequences[b];
            targets[b] = new int[s.length];
            for (int t = 0; t < s.length; t++) targets[b][t] = t + 1 < s.length ? s[t + 1] : IGNORE;
        }
        return new Batch(sequences, targets);
    }

    /** Total tokens. */
    public int tokens() {
        int n = 0;
        for (int[] s : inputs) n += s.length;
        return n;
    }

    /** Row offsets of the sequences in the flattened batch: sequence b is rows [starts[b], starts[b+1]). */
    int[] starts() {
        int[] starts = new int[inputs.length + 1];
        for (int b = 0; b < inputs.length; b++) starts[b + 1] = starts[b] + inputs[b].length;
        return starts;
    }
}
