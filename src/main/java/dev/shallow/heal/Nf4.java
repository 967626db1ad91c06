package dev.shallow.heal;

import dev.shallow.tensor.Parallel;
import dev.shallow.tensor.Tensor;

/**
 * 4-bit NormalFloat quantization (Dettmers et al. 2023, QLoRA) as bitsandbytes implements it:
 * per block of 64 values, absmax = max |w|, each w * (1 / absmax) gets the code of the nearest of
 * the 16 NF4 levels (quantiles of N(0, 1) scaled to [-1, 1]); two codes per byte, element 2i in the
 * high nibble. Double quantization: the block absmaxes, minus their mean, are stored as 8-bit
 * {@link DynamicMap} codes in blocks of 256 with a float32 absmax each (about 0.127 bits per weight
 * instead of 0.5).
 */
public final class Nf4 {
    public static final int BLOCK = 64;

    /** bitsandbytes' NF4 table (functional.get_4bit_type("nf4") = create_normal_map(0.9677083)). */
    private static final float[] LEVELS = {
            -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
            -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
            0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
            0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};
    private static final float[] MIDPOINTS = DynamicMap.midpoints(LEVELS);
    /** Blocks per quantization task. */
    private static final int TASK_BLOCKS = 1024;

    private Nf4() {
    }

    /** The level of a 4-bit code (0..15, ascending). */
    public static float level(int code) {
        return LEVELS[code];
    }

    /** The 16 levels (a copy). */
    public static float[] levels() {
        return LEVELS.clone();
    }

    /** The code of x in [-1, 1]: the nearest level, a tie going to the lower (torch.bucketize, bitsandbytes' CPU path). */
    public static int encode(float x) {
        return DynamicMap.bucket(MIDPOINTS, x);
    }

    /** Quantizes a 2-D weight, reading it row by row. */
    public static Nf4Tensor quantize(Tensor w) {
        int rows = w.rows(), cols = w.cols();
        float[] values = new float[Math.multiplyExact(rows, cols)];
        Parallel.forEach(rows, r -> w.copyTo((long) r * cols, values, r * cols, cols));
        return quantize(values, rows, cols);
    }

    /** Quantizes {@code values} (row-major [rows, cols]; the last block may be shorter than 64). */
    public static Nf4Tensor quantize(float[] values, int rows, int cols) {
        if (values.length != (long) rows * cols) throw new IllegalArgumentException(values.length + " values for " + rows + " x " + cols);
        int n = values.length, blocks = (n + BLOCK - 1) / BLOCK;
        byte[] codes = new byte[(n + 1) / 2];
        float[] absmax = new float[blocks];
        Parallel.forEach((blocks + TASK_BLOCKS - 1) / TASK_BLOCKS, task -> {
            for (int b = task * TASK_BLOCKS; b < Math.min(blocks, (task + 1) * TASK_BLOCKS); b++) {
                int from = b * BLOCK, to = Math.min(n, from + BLOCK);
                float max = 0;
                for (int i = from; i < to; i++) max = Math.max(max, Math.abs(values[i]));
                absmax[b] = max;
                float inv = 1f / Math.max(max, 1e-38f);
                for (int i = from; i < to; i++) {
                    int q = encode(Math.clamp(values[i] * inv, -1f, 1f));
                    codes[i >> 1] |= (byte) ((i & 1) == 0 ? q << 4 : q); // block starts are even: no byte is shared by two tasks
                }
            }
        });
        double sum = 0;
        for (float a : absmax) sum += a;
        float offset = (float) (sum / blocks);
        float[] centred = new float[blocks];
        for (int b = 0; b < blocks; b++) centred[b] = absmax[b] - offset;
        return new Nf4Tensor(rows, cols, codes, DynamicMap.quantize(centred), offset);
    }
}
