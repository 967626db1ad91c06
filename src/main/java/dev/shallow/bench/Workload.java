package dev.shallow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The token ids a benchmark feeds both Shallow and PyTorch: a prompt and a long prompt to prefill, a batch of
 * equal-length prompts to prefill together, a short prompt followed by {@code decodeSteps} greedy single-token
 * steps, MMLU-like log-likelihood requests, and the shape of a LoRA training step.
 */
public record Workload(int[] prompt, int[] longPrompt, int[][] batch, int[] decodePrompt, int decodeSteps, EvalWorkload eval,
                       TrainingWorkload training) {
    public static final String DECODE = "decode";

    /** The size of each part; the eval answers have 1 to {@code evalAnswerTokens} tokens. */
    public record Sizes(int prompt, int longPrompt, int batch, int batchLength, int decodePrompt, int decodeSteps, int evalQuestions,
                        int evalChoices, int evalContextMin, int evalContextMax, int evalAnswerTokens, int trainBatch, int trainSeqLen) {
        /**
         * 1 x 128 and 1 x 512 prefill, 8 x 256 prefill, 16 decode steps after a 16-token prompt, 4 questions x 4 one-token
         * answers after 200-400-token contexts (MMLU 0-shot: " A" .. " D"; few, so that PyTorch's float32 path, which
         * recomputes every context, takes about 90 s on TinyLlama), a training step on 1 x 128 tokens.
         */
        public static final Sizes STANDARD = new Sizes(128, 512, 8, 256, 16, 16, 4, 4, 200, 400, 1, 1, 128);
    }

    /** The {@link Sizes#STANDARD} workload; ids seeded in [3, vocab). */
    public static Workload standard(int vocab, long seed) {
        return random(vocab, seed, Sizes.STANDARD);
    }

    public static Workload random(int vocab, long seed, Sizes s) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[][] batch = new int[s.batch()][];
        for (int b = 0; b < s.batch(); b++) batch[b] = ids(rng, vocab, s.batchLength());
        int[] prompt = ids(rng, vocab, s.prompt());
        int[] decodePrompt = ids(rng, vocab, s.decodePrompt());
        int[][] training = new int[s.trainBatch()][];
        for (int b = 0; b < s.trainBatch(); b++) training[b] = ids(rng, vocab, s.trainSeqLen());
        return new Workload(prompt, ids(rng, vocab, s.longPrompt()), batch, decodePrompt, s.decodeSteps(),
                EvalWorkload.random(rng, vocab, s), new TrainingWorkload(training));
    }

    /** Ids above the tokenizer's special and byte tokens (0..2 are unk, bos, eos). */
    static int[] ids(SplittableRandom rng, int vocab, int n) {
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

    public String longPromptName() {
        return "prefill_1x" + longPrompt.length;
    }

    public String batchName() {
        return "prefill_" + batch.length + "x" + batch[0].length;
    }

    /** The JSON bench_torch.py reads with --workload. */
    public ObjectNode toJson() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode w = json.createObjectNode();
        w.set("prompt", json.valueToTree(prompt));
        w.set("long_prompt", json.valueToTree(longPrompt));
        ArrayNode rows = w.putArray("batch");
        for (int[] row : batch) rows.add(json.valueToTree(row));
        w.set("decode_prompt", json.valueToTree(decodePrompt));
        w.put("decode_steps", decodeSteps);
        w.set("eval", eval.toJson());
        w.set("train", training.toJson());
        return w;
    }
}
