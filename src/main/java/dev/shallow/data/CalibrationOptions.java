package dev.shallow.data;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.Serializable;

/**
 * How to turn calibration text into token sequences; the same options give the same ids on any machine.
 *
 * @param data      a dataset name (see {@link Datasets}) or a file
 * @param textField the JSONL field holding the text (named datasets bring their own)
 * @param samples   number of sequences
 * @param seqLen    tokens per sequence, BOS included (capped at the model's context)
 * @param packing   true: documents joined by EOS and cut into full windows; false: one document per sequence, truncated
 * @param bos       prepend BOS to every sequence
 * @param shuffle   shuffle the documents with {@code seed} (false: file order)
 * @param seed      the shuffle seed (java.util.Random, Fisher-Yates)
 */
public record CalibrationOptions(String data, String textField, int samples, int seqLen, boolean packing, boolean bos,
                                 boolean shuffle, long seed) implements Serializable {
    public static final int DEFAULT_SAMPLES = 64, DEFAULT_SEQ_LEN = 256;

    public CalibrationOptions {
        if (samples < 1) throw new IllegalArgumentException("samples must be >= 1, got " + samples);
        if (seqLen < 2) throw new IllegalArgumentException("sequence length must be >= 2, got " + seqLen);
    }

    /** Defaults: 64 packed sequences of 256 tokens, BOS, shuffled with seed 0. */
    public static CalibrationOptions defaults(String data) {
        return new CalibrationOptions(data, "text", DEFAULT_SAMPLES, DEFAULT_SEQ_LEN, true, true, true, 0);
    }

    /** These options on another text ({@code data}: a file or a dataset name). */
    public CalibrationOptions withData(String data) {
        return new CalibrationOptions(data, textField, samples, seqLen, packing, bos, shuffle, seed);
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("data", data);
        o.put("text_field", textField);
        o.put("samples", samples);
        o.put("seq_len", seqLen);
        o.put("layout", packing ? "packed" : "per-document");
        o.put("bos", bos);
        o.put("shuffle", shuffle);
        o.put("seed", seed);
        return o;
    }
}
