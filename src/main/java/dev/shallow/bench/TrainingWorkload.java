package dev.shallow.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One LoRA healing step as {@code scripts/bench_heal.sh} compares it: next-token loss over {@code sequences}, backward
 * to adapters of rank {@link #RANK} (alpha {@link #ALPHA}, dropout {@link #DROPOUT}) on all seven projections of every
 * layer, clipping to norm 1, AdamW. PyTorch draws its own random ids of the same shape (the cost does not depend on them).
 */
public record TrainingWorkload(int[][] sequences) {
    public static final int RANK = 8;
    public static final double ALPHA = 16, DROPOUT = 0.05, LEARNING_RATE = 2e-4, MAX_GRAD_NORM = 1;

    public int tokens() {
        return sequences.length * sequences[0].length;
    }

    public String name() {
        return "train_" + sequences.length + "x" + sequences[0].length;
    }

    /** The shape and LoRA settings bench_torch.py trains with. */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("batch", sequences.length);
        o.put("seq_len", sequences[0].length);
        o.put("rank", RANK);
        o.put("alpha", ALPHA);
        o.put("dropout", DROPOUT);
        o.put("lr", LEARNING_RATE);
        o.put("max_grad_norm", MAX_GRAD_NORM);
        return o;
    }
}
