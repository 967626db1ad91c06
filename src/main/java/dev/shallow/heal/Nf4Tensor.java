package dev.shallow.heal;

/**
 * A weight stored as NF4 codes with double-quantized block scales ({@link Nf4#quantize}); read by
 * dequantizing: w_i = level(code_i) * absmax(block of i), absmax(b) = dynamic(q_b) * scale(b / 256) + offset.
 */
public final class Nf4Tensor implements Weight {
    private final int rows, cols;
    private final byte[] codes;
    private final DynamicMap.Blocks absmax;
    private final float offset;

    Nf4Tensor(int rows, int cols, byte[] codes, DynamicMap.Blocks absmax, float offset) {
        this.rows = rows;
        this.cols = cols;
        this.codes = codes;
        this.absmax = absmax;
        this.offset = offset;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    /** The 4-bit code of element i (row-major). */
    public int code(long i) {
        int b = codes[Math.toIntExact(i >> 1)];
        return (i & 1) == 0 ? (b >> 4) & 0xF : b & 0xF;
    }

    /** The packed codes as bitsandbytes stores them: element 2i in the high nibble of byte i, 2i + 1 in the low (live). */
    byte[] packedCodes() {
        return codes;
    }

    /** The dequantized absmax of block b (elements [64 b, 64 b + 64)). */
    public float absmax(int block) {
        return absmax.get(block) + offset;
    }

    /** Bytes held: codes, 8-bit block scales, their float32 absmax per 256, the offset. */
    public long bytes() {
        return codes.length + absmax.codes().length + 4L * absmax.absmax().length + 4;
    }

    @Override
    public void copyTo(long from, float[] dst, int off, int n) {
        long i = from, end = from + n;
        while (i < end) {
            int block = Math.toIntExact(i / Nf4.BLOCK);
            long blockEnd = Math.min(end, (block + 1L) * Nf4.BLOCK);
            float scale = absmax(block);
            for (; i < blockEnd; i++) dst[off++] = Nf4.level(code(i)) * scale;
        }
    }
}
