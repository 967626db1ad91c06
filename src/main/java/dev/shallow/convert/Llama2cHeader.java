package dev.shallow.convert;

import dev.shallow.ShallowException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * The header of a llama2.c checkpoint (karpathy/llama2.c run.c {@code Config}): seven int32
 * {@code dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len}; a negative
 * vocab_size means the classifier {@code wcls} is stored separately instead of shared with the
 * token embedding.
 */
record Llama2cHeader(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize, boolean sharedClassifier, int seqLen) {
    static final int BYTES = 7 * 4;
    /** "ak42": the magic of llama2.c's later export versions (export.py --version 1/2), which run.c does not read. */
    private static final int EXPORT_MAGIC = 0x616b3432;
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Reads and checks the header of {@code file} (mapped as {@code bin}). */
    static Llama2cHeader read(Path file, MemorySegment bin) {
        if (bin.byteSize() < BYTES) {
            throw ShallowException.at(file, "file is " + bin.byteSize() + " bytes, shorter than the " + BYTES + "-byte llama2.c header");
        }
        int[] h = new int[7];
        for (int i = 0; i < 7; i++) h[i] = bin.getAtIndex(I32_LE, i);
        if (h[0] == EXPORT_MAGIC) {
            throw ShallowException.at(file, "is a llama2.c version-" + h[1] + " export (magic \"ak42\"); only the legacy run.c format is supported");
        }
        Llama2cHeader header = new Llama2cHeader(h[0], h[1], h[2], h[3], h[4], Math.abs(h[5]), h[5] > 0, h[6]);
        if (h[0] <= 0 || h[1] <= 0 || h[2] <= 0 || h[3] <= 0 || h[4] <= 0 || header.vocabSize <= 0 || h[6] <= 0) {
            throw ShallowException.at(file, "impossible llama2.c header (" + header + "): sizes must be positive, vocab_size non-zero");
        }
        int max = dev.shallow.model.ModelConfig.MAX_DIM;
        if (h[0] > max || h[1] > max || h[3] > max || header.vocabSize > (1 << 24) || h[2] > dev.shallow.model.ModelConfig.MAX_LAYERS || h[6] > max) {
            throw ShallowException.at(file, "impossible llama2.c header (" + header + "): sizes beyond what Shallow accepts (dimensions up to "
                    + max + ", " + dev.shallow.model.ModelConfig.MAX_LAYERS + " layers, vocabulary up to 2^24)");
        }
        if (h[0] % h[3] != 0 || h[3] % h[4] != 0 || (h[0] / h[3]) % 2 != 0) {
            throw ShallowException.at(file, "impossible llama2.c header (" + header + "): n_heads must divide dim into even head sizes"
                    + " and n_kv_heads must divide n_heads");
        }
        return header;
    }

    /** Checks the file is exactly as long as {@code layout} says: neither truncated nor carrying extra data. */
    void checkSize(Path file, long actual, Llama2cLayout layout) {
        if (actual != layout.fileBytes()) {
            throw ShallowException.at(file, "is " + actual + " bytes but its header (" + this + ") needs " + layout.fileBytes()
                    + (actual < layout.fileBytes() ? " (truncated?)" : ""));
        }
    }

    int headSize() {
        return dim / heads;
    }

    int kvDim() {
        return dim / heads * kvHeads;
    }

    @Override
    public String toString() {
        return "dim " + dim + ", hidden_dim " + hiddenDim + ", n_layers " + layers + ", n_heads " + heads + ", n_kv_heads " + kvHeads
                + ", vocab_size " + (sharedClassifier ? vocabSize : -vocabSize) + ", seq_len " + seqLen;
    }
}
