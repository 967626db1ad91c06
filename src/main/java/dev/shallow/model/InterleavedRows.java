package dev.shallow.model;

import dev.shallow.io.MappedFile;
import dev.shallow.tensor.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * llama.cpp's q/k row order undone. For its NORM (interleaved) RoPE, convert_hf_to_gguf.py LlamaModel.permute stores
 * per head of d rows the rotate-half pair (i, i + d/2) as rows (2i, 2i + 1): GGUF row h*d + 2i + p holds Hugging Face
 * row h*d + p*d/2 + i. Reading it back makes a copy in that order (a mapped view cannot reorder rows), in scratch memory
 * mapped as the weights are ({@link MappedFile#scratch}): q and k are the smallest projections of a layer, (heads + kv heads)
 * x head_dim rows against the MLP's 3 x intermediate.
 */
public final class InterleavedRows {
    private InterleavedRows() {
    }

    /** The GGUF row holding Hugging Face row {@code row} of a projection with heads of {@code d} rows. */
    public static int ggufRow(int row, int d) {
        int h = row / d, r = row % d, half = d / 2;
        return h * d + 2 * (r % half) + r / half;
    }

    /** The Hugging Face row that GGUF row {@code row} holds (the inverse of {@link #ggufRow}). */
    public static int hfRow(int row, int d) {
        int h = row / d, r = row % d;
        return h * d + (r % 2) * (d / 2) + r / 2;
    }

    /** The rows of {@code t} (heads of {@code d} rows) in Hugging Face order, copied to native memory freed with the tensor. */
    static Tensor toRotateHalf(Tensor t, int d) {
        long rowBytes = t.segment().byteSize() / t.rows();
        MemorySegment out = MappedFile.scratch(t.segment().byteSize());
        for (int r = 0; r < t.rows(); r++) MemorySegment.copy(t.segment(), ggufRow(r, d) * rowBytes, out, r * rowBytes, rowBytes);
        return Tensor.of(t.dtype(), out, t.shape());
    }

    /** A bias of such a projection in Hugging Face order. */
    static float[] toRotateHalf(float[] bias, int d) {
        float[] out = new float[bias.length];
        for (int r = 0; r < out.length; r++) out[r] = bias[ggufRow(r, d)];
        return out;
    }
}
