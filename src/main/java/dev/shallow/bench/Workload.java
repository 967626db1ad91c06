package dev.shallow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The token ids a benchmark feeds both Shallow and PyTorch: one prompt to prefill, a batch of equal-length
 * prompts to prefill together, and a short prompt followed by {@code decodeSteps} greedy single-token steps.
 */
public record Workload(int[] prompt, int[][] batch, int[] decodePrompt, int decodeSteps) {
    public static final String DECODE = "decode";

    /** 1 × 128 prefill, 8 × 256 prefill, 16 decode steps after a 16-token prompt; ids seeded in [3, vocab). */
    public static Workload standard(int vocab, long seed) {
        return random(vocab, seed, 128, 8, 256, 16, 16);
    }

    public static Workload random(int vocab, long seed, int promptLength, int batchSize, int batchLength,
                                  int decodePromptLength, int decodeSteps) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[][] batch = new int[batchSize][];
        for (int b = 0; b < batchSize; b++) batch[b] = ids(rng, vocab, batchLength);
        return new Workload(ids(rng, vocab, promptLength), batch, ids(rng, vocab, decodePromptLength), decodeSteps);
    }

    /** Ids above the tokenizer's special and byte tokens (0..2 are unk, bos, eos). */
    private static int[] ids(SplittableRandom rng, int vocab, int n) {
        return rng.ints(n, Math.min(3, vocab - 1), vocab).toArray();
    }

    /** Sequences of the batch the analysis benchmark calibrates on (its first ones). */
    public static final int CALIBRATION_SEQUENCES = 4;

    /** The first {@link #CALIBRATION_SEQUENCES} sequences of the batch: calibration ids for the analysis benchmark. */
    public int[][] calibration() {
        return Arrays.copyOf(batch, Math.min(CALIBRATION_SEQUENCES, batch.length));
    }

    public String promptName() {
        return "prefill_1x" + prompt.length;
    }

    public String batchName() {
        return "prefill_" + batch.length + "x" + batch[0].length;
    }

    /** The JSON bench_torch.py reads with --workload. */
    public ObjectNode toJson() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode w = json.createObjectNode();
        w.set("prompt", json.valueToTree(prompt));
        ArrayNode rows = w.putArray("batch");
        for (int[] row : batch) rows.add(json.valueToTree(row));
        w.set("decode_prompt", json.valueToTree(decodePrompt));
        w.put("decode_steps", decodeSteps);
        return w;
    }
}
